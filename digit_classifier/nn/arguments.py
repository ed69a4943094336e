"""Checks of the MLP's arguments: layer sizes, dropout rates, input batches (ValueError otherwise)."""

from __future__ import annotations

import numpy as np


def check_layer_sizes(layer_sizes) -> list[int]:
    """Return ``layer_sizes`` as a list of >= 2 positive ints, or raise ValueError."""
    try:
        sizes = list(layer_sizes)
    except TypeError:
        raise ValueError(f"layer_sizes must be a sequence of ints; got {layer_sizes!r}") from None
    ok = len(sizes) >= 2 and all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in sizes)
    if not ok:
        raise ValueError(f"layer_sizes must be >= 2 positive ints (input, ..., classes); got {layer_sizes!r}")
    return [int(s) for s in sizes]


def check_rate(name: str, value: float) -> float:
    """Return a dropout rate as a float in [0, 1), or raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1); got {value!r}")
    return float(value)


def dropout_rates(dropout, n_hidden: int) -> list[float]:
    """Expand ``dropout`` (one rate or one per hidden layer) to a list of ``n_hidden`` rates."""
    if isinstance(dropout, (int, float, np.floating)) and not isinstance(dropout, bool):
        return [check_rate("dropout", dropout)] * n_hidden
    rates = list(dropout)
    if len(rates) != n_hidden:
        raise ValueError(f"dropout needs one rate per hidden layer ({n_hidden}); got {dropout!r}")
    return [check_rate(f"dropout[{i}]", r) for i, r in enumerate(rates)]


def check_inputs(X, input_dim: int, dtype: np.dtype) -> np.ndarray:
    """Return ``X`` as a C-contiguous (n >= 1, input_dim) array of ``dtype``, or raise ValueError."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != input_dim:
        raise ValueError(f"X must have shape (n, {input_dim}); got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("X has no rows")
    if not np.issubdtype(X.dtype, np.floating):
        # Integer input is almost always raw 0..255 pixels that skipped normalisation.
        raise ValueError(f"X must be a float array (e.g. float32 in [0, 1]); got dtype {X.dtype}")
    return np.ascontiguousarray(X, dtype=dtype)
