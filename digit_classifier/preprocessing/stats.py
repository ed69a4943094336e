"""Order statistics and Otsu's threshold, fast on the small arrays a digit gives.

Order statistics come from ``quantiles`` (one ``np.partition``, or a histogram for big
arrays) rather than ``np.percentile``, whose fixed cost dominates on small images.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

#: Arrays up to this many values get exact order statistics; bigger ones a histogram.
EXACT_LIMIT = 50_000
_HIST_BINS = 4096
#: Read-only upper edges (float32, exact) of the 256 Otsu bins over [0, 1].
_OTSU_EDGES = (np.arange(1, 257) / 256).astype(np.float32)
_OTSU_EDGES.flags.writeable = False


def quantiles(values: np.ndarray, q):
    """Percentiles ``q`` (0-100) of non-empty ``values`` (any shape): a float for a scalar
    ``q``, a (len(q),) float64 array for a sequence.

    Matches ``np.percentile`` (linear interpolation) up to ``EXACT_LIMIT`` values, with
    a single ``np.partition``; above it they come from a 4096-bin histogram (error <
    range / 4096).
    """
    v = np.asarray(values).reshape(-1)
    n = v.size
    if n == 0:
        raise ValueError("quantiles of an empty array")
    qs = [float(q)] if np.ndim(q) == 0 else [float(x) for x in q]
    pos = [x / 100.0 * (n - 1) for x in qs]
    if n <= EXACT_LIMIT:
        lo = [int(p) for p in pos]
        hi = [min(i + 1, n - 1) for i in lo]
        part = np.partition(v, lo + hi).tolist() if n <= 64 else np.partition(v, lo + hi)
        out = [float(part[i]) + (float(part[j]) - float(part[i])) * (p - i)
               for i, j, p in zip(lo, hi, pos)]
    else:
        low, top = float(v.min()), float(v.max())
        if top <= low:
            out = [low] * len(pos)
        else:
            scale = _HIST_BINS / (top - low)
            scaled = v - low
            scaled *= scale  # in place: the same float32 product, one temporary fewer
            idx = scaled.astype(np.intp)
            np.minimum(idx, _HIST_BINS - 1, out=idx)
            cum = np.bincount(idx, minlength=_HIST_BINS).cumsum()
            bins = np.searchsorted(cum, np.round(pos).astype(np.intp), side="right")
            out = (low + bins / scale).tolist()
    return out[0] if np.ndim(q) == 0 else np.array(out)


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of ``values`` (any shape, float in [0, 1]) -> float in [0, 1]."""
    v = np.asarray(values).reshape(-1)
    # Same bins as np.histogram(values, bins, range=(0, 1)) for values in [0, 1].
    idx = (v * bins).astype(np.intp)
    np.maximum(idx, 0, out=idx)
    np.minimum(idx, bins - 1, out=idx)
    return _otsu(np.bincount(idx, minlength=bins).cumsum())


def otsu_sorted(s: np.ndarray) -> float:
    """``otsu_threshold`` of float32 ``s`` already sorted ascending (values in [0, 1]).

    A value's 256-bin index is floor(256 v) (exact: the scaling is a power of two), so
    the cumulative bin counts are the insertion points of the bin edges: one call.
    """
    cum = np.searchsorted(s, _OTSU_EDGES, side="left")
    cum[-1] = s.size  # the last bin also takes v == 1
    return _otsu(cum)


@lru_cache(maxsize=4)
def _bin_centres(bins: int) -> np.ndarray:
    """Read-only (bins,) float64 centres of equal bins over [0, 1]."""
    centres = (np.arange(bins) + 0.5) / bins
    centres.flags.writeable = False
    return centres


def _otsu(cum: np.ndarray) -> float:
    """Otsu's threshold from cumulative counts over equal bins of [0, 1]."""
    bins = cum.size
    centres = _bin_centres(bins)
    w0 = cum.astype(np.float64)
    hist = w0.copy()
    hist[1:] -= w0[:-1]  # the per-bin counts again (exact: integers in float64)
    w1 = w0[-1] - w0
    hist *= centres
    s0 = hist.cumsum()
    m0 = s0 / np.maximum(w0, 1e-12)
    m1 = s0[-1] - s0
    m1 /= np.maximum(w1, 1e-12)
    m0 -= m1
    m0 *= m0  # (m0 - m1) ** 2, squared by one multiplication as ** 2 does
    between = w0 * w1
    between *= m0
    return (int(between.argmax()) + 1) / bins


def border_values(plane: np.ndarray, frac: float = 0.04) -> np.ndarray:
    """Pixels of the outer ring (``frac`` of each side, at least 1 px) of (h, w) ``plane``."""
    h, w = plane.shape
    bh, bw = max(1, int(h * frac)), max(1, int(w * frac))
    return np.concatenate([plane[:bh].ravel(), plane[-bh:].ravel(),
                           plane[:, :bw].ravel(), plane[:, -bw:].ravel()])
