"""Ink thresholds: the extremes of a picture's values, and the ink/background threshold of an ink map."""

from __future__ import annotations

import numpy as np

from digit_classifier.preprocessing.stats import otsu_sorted, otsu_threshold, quantiles

#: ``ink_threshold`` sorts arrays up to this size (one sort gives every order statistic).
SORT_LIMIT = 8192


#: The ink extremes of a picture are its percentiles this many pixels in from either end
#: (but at most 0.5 % in): a small digit on a large page may be far less than 0.5 % ink.
EXTREME_PIXELS = 40


def extreme_percentiles(n: int) -> list[float]:
    """The [low, high] percentiles (0-100) that ``EXTREME_PIXELS`` of ``n`` pixels lie beyond."""
    tail = min(0.5, 100.0 * EXTREME_PIXELS / max(n, 1))
    return [tail, 100.0 - tail]


def ink_extremes(values: np.ndarray) -> tuple[float, float]:
    """(dark, bright) extremes of non-empty ``values``: ``extreme_percentiles`` of its size."""
    lo, hi = quantiles(values, extreme_percentiles(np.size(values))).tolist()
    return lo, hi


#: Neighbouring pixels of a noise-only map differ as much as any two pixels do (this
#: ratio, ``coherence``, is ~1: 0.93-1.0 on noise pictures); ink, even blurred or filling
#: the frame, varies smoothly (tight crops of MNIST digits: 0.02-0.08; low-resolution
#: scans with noise: up to 0.71). Under this ratio the map holds a drawing.
NOISE_COHERENCE = 0.8
#: ``coherence`` compares means of blocks this many pixels square: averaging shrinks
#: pixel noise, not the ink, yet leaves pure noise as rough as before ...
COHERENCE_BLOCK = 4
#: ... on maps at least this many blocks a side (64 px). In a smaller picture strokes are
#: about a block wide (bold figures filling a 33 px house-number crop), and block means
#: alternate like pixel noise; there pixels are compared.
COHERENCE_BLOCKS = 16


def ink_threshold(flat: np.ndarray) -> tuple[float, float]:
    """(threshold, ink level) of flattened (h, w) ``flat``.

    The threshold is Otsu's, raised to sit clear of the noise floor (median + 5 robust
    sigmas) and at a quarter of the ink level at least; the ink level is a high
    percentile of the pixels over it. The noise floor assumes the background is most of
    the picture; when it leaves no pixel standing and the map is not noise (its
    ``coherence`` is under ``NOISE_COHERENCE``: ink filling the frame, a blurred scan),
    there is no noise to clear and the threshold is Otsu's (raised to a quarter of the peak).
    """
    values = flat.reshape(-1)
    if values.size > 40000:  # thresholds need a histogram, not every pixel
        values = values[:: values.size // 40000]
    values = np.maximum(values, 0.0)
    np.minimum(values, 1.0, out=values)
    t, level, by_floor = (_ink_threshold_sorted(values) if values.size <= SORT_LIMIT
                          else _floor_threshold(values))
    if by_floor and t > 0.25 * float(values.max()) and coherence(flat) < NOISE_COHERENCE:
        t, level, _ = _floor_threshold(values, noise_floor=False)
    return t, level


def _floor_threshold(values: np.ndarray, noise_floor: bool = True) -> tuple[float, float, bool]:
    """(threshold, ink level, whether the noise floor set it above Otsu's) of clipped (n,)
    ``values``; without ``noise_floor`` the threshold is only Otsu's, raised to a quarter
    of the peak."""
    med, peak = quantiles(values, [50, 99.9])
    if values.size <= 1000:
        peak = float(values.max())
    otsu = otsu_threshold(values)
    t = max(otsu, 0.25 * float(peak))
    floor = -1.0
    if noise_floor:
        deviation = values - med
        sigma = float(quantiles(np.abs(deviation, out=deviation), 50) * 1.4826)
        floor = float(med) + 5 * sigma
        t = max(t, floor)
    above = values[values > t]
    level = float(quantiles(above, 75)) if above.size else float(peak)
    return t, max(level, t + 1e-3), floor == t and floor > otsu


def coherence(flat: np.ndarray) -> float:
    """Mean squared difference of neighbouring values of ``flat`` (any shape; clipped to
    [0, 1]; (h, w) maps of at least ``COHERENCE_BLOCKS`` blocks a side are first
    averaged over ``COHERENCE_BLOCK`` px blocks) along each axis, over twice its variance:
    ~1 for pixel noise, near 0 for smooth ink; 1 when nothing varies."""
    x = np.clip(flat, 0.0, 1.0).astype(np.float64)
    b = COHERENCE_BLOCK
    if x.ndim == 2 and min(x.shape) >= COHERENCE_BLOCKS * b:
        h, w = x.shape[0] // b * b, x.shape[1] // b * b
        x = x[:h, :w].reshape(h // b, b, w // b, b).mean(axis=(1, 3))
    var = float(x.var()) if x.size else 0.0
    axes = [a for a in range(x.ndim) if x.shape[a] > 1]
    if var <= 0.0 or not axes:
        return 1.0
    return float(sum(np.square(np.diff(x, axis=a)).mean() for a in axes) / (2.0 * len(axes) * var))


def _sorted_quantile(s: np.ndarray, q: float, start: int = 0) -> float:
    """``quantiles(s[start:], q)`` of ascending ``s`` (same interpolation, no partition)."""
    pos = q / 100.0 * (s.size - start - 1)
    i = int(pos)
    j = min(i + 1, s.size - start - 1)
    lo = float(s[start + i])
    return lo + (float(s[start + j]) - lo) * (pos - i)


def _ink_threshold_sorted(values: np.ndarray) -> tuple[float, float, bool]:
    """``_floor_threshold`` of clipped float (n <= SORT_LIMIT,) ``values`` from one sort:
    the median, the peak, Otsu's histogram and the pixels over the threshold are all
    read off the sorted copy, so the numbers are those of the general path."""
    s = np.sort(values)
    med = _sorted_quantile(s, 50)
    peak = float(s[-1]) if s.size <= 1000 else _sorted_quantile(s, 99.9)
    # In float64, as in the general path (where ``med`` is a NumPy float64).
    sigma = float(quantiles(np.abs(values - np.float64(med)), 50) * 1.4826)
    floor, otsu = med + 5 * sigma, otsu_sorted(s)
    t = max(otsu, floor, 0.25 * peak)
    # ``values > t`` compares in the array's precision (NumPy casts the Python float),
    # so search for t in that precision: the pixels over it are the tail s[start:].
    start = int(np.searchsorted(s, s.dtype.type(t), side="right"))
    level = _sorted_quantile(s, 75, start) if start < s.size else peak
    return t, max(level, t + 1e-3), floor == t and floor > otsu


def soft_ink(flat: np.ndarray, thresholds: tuple[float, float] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Ink map (h, w) -> (bool mask over the threshold, float32 soft ink in [0, 1]: 0 under
    half the threshold, 1 at the ink level). ``thresholds``: ``ink_threshold(flat)`` if
    already known."""
    t, level = thresholds or ink_threshold(flat)
    mask = flat > t
    soft = flat - np.float32(0.5 * t)
    soft *= np.float32(1.0 / (level - 0.5 * t))  # in place: one image-sized temporary
    np.maximum(soft, 0.0, out=soft)
    return mask, np.minimum(soft, 1.0, out=soft)
