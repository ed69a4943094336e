"""Numerically stable softmax, log-softmax and softmax cross-entropy.

Logits are (n, k) float arrays; labels are (n,) integer class indices. One-hot
targets exist only inside :func:`softmax_cross_entropy`. Everything is computed
in the logits' float dtype (float32 stays float32; float64 is kept for gradient
checks); other input dtypes are cast to float32.
"""

from __future__ import annotations

import numpy as np


def _as_float_logits(logits) -> np.ndarray:
    """Return ``logits`` as a 2-D float32/float64 array, or raise ValueError."""
    logits = np.asarray(logits)
    if logits.dtype not in (np.float32, np.float64):
        logits = logits.astype(np.float32)
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] < 2:
        raise ValueError(f"logits must have shape (n >= 1, k >= 2); got {logits.shape}")
    return logits


def log_softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """Row-wise ``log softmax(logits / temperature)`` via the log-sum-exp trick.

    Parameters
    ----------
    logits : array (n, k), float
    temperature : float > 0

    Returns
    -------
    array (n, k), same float dtype as ``logits``; finite even for logits of +-1e3.
    """
    logits = _as_float_logits(logits)
    if not temperature > 0 or not np.isfinite(temperature):
        raise ValueError(f"temperature must be a positive finite number; got {temperature!r}")
    z = logits / logits.dtype.type(temperature) if temperature != 1.0 else logits.copy()
    z -= z.max(axis=1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    return z


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """Row-wise ``softmax(logits / temperature)``: (n, k) probabilities summing to 1."""
    logits = _as_float_logits(logits)
    if not temperature > 0 or not np.isfinite(temperature):
        raise ValueError(f"temperature must be a positive finite number; got {temperature!r}")
    z = logits / logits.dtype.type(temperature) if temperature != 1.0 else logits.copy()
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _check_labels(labels, n: int, k: int) -> np.ndarray:
    """Return ``labels`` as an (n,) intp array of classes in [0, k), or raise ValueError."""
    labels = np.asarray(labels)
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},) to match the logits; got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers; got dtype {labels.dtype}")
    lo, hi = int(labels.min()), int(labels.max())
    if lo < 0 or hi >= k:
        raise ValueError(f"labels must lie in [0, {k}); got values in [{lo}, {hi}]")
    return labels.astype(np.intp, copy=False)


def softmax_cross_entropy(logits, labels, label_smoothing: float = 0.0) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to the logits.

    With label smoothing ``eps`` the target of each row is
    ``(1 - eps) * one_hot(label) + eps / k``.

    Parameters
    ----------
    logits : array (n, k), float32 (or float64)
    labels : array (n,), int, values in [0, k)
    label_smoothing : float in [0, 1)

    Returns
    -------
    loss : float
        Mean over the n rows (natural log units, nats).
    dlogits : array (n, k), same dtype as ``logits``
        ``(softmax(logits) - target) / n``, the gradient of the *mean* loss.
    """
    logits = _as_float_logits(logits)
    n, k = logits.shape
    labels = _check_labels(labels, n, k)
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1); got {label_smoothing!r}")
    logp = log_softmax(logits)
    rows = np.arange(n)
    picked = logp[rows, labels]
    if label_smoothing:
        eps = logp.dtype.type(label_smoothing)
        per_row = (1 - eps) * picked + (eps / k) * logp.sum(axis=1)
    else:
        per_row = picked
    loss = -float(per_row.mean())
    # Reuse the log-probability buffer for the gradient: p - target, scaled by 1/n.
    dlogits = np.exp(logp, out=logp)
    if label_smoothing:
        dlogits -= eps / k
        dlogits[rows, labels] -= 1 - eps
    else:
        dlogits[rows, labels] -= 1
    dlogits *= dlogits.dtype.type(1.0 / n)
    return loss, dlogits
