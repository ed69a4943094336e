"""Turn opaque float channels into an ink map: bright ink on a flat dark background.

Steps: pick the channel with the best ink/background contrast, decide the polarity
from the border, remove smooth uneven lighting, and threshold (Otsu + noise floor).
Order statistics come from ``quantiles`` (one ``np.partition``, or a histogram for big
arrays) rather than ``np.percentile``, whose fixed cost dominates on small images.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
#: Arrays up to this many values get exact order statistics; bigger ones a histogram.
EXACT_LIMIT = 50_000
_HIST_BINS = 4096
#: Read-only upper edges (float32, exact) of the 256 Otsu bins over [0, 1].
_OTSU_EDGES = (np.arange(1, 257) / 256).astype(np.float32)
_OTSU_EDGES.flags.writeable = False
#: ``ink_threshold`` sorts arrays up to this size (one sort gives every order statistic).
SORT_LIMIT = 8192


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


def _otsu_sorted(s: np.ndarray) -> float:
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


#: The border decides the polarity when one extreme lies further from the border's
#: median than the other by at least this fraction of the contrast.
POLARITY_MARGIN = 0.5


def ink_polarity(plane: np.ndarray, extremes: tuple[float, float] | None = None) -> bool:
    """True when the ink is dark on a light background in (h, w) ``plane``.

    The background level is the border median; the ink is whichever extreme
    (``ink_extremes(plane)``, or ``extremes`` when the caller already has them) lies
    clearly further. When neither does (a shadow or a lighting gradient across the
    border puts its median half-way), both readings are flattened and the one that
    leaves strokes standing out of a flat floor wins: read the wrong way round, the
    paper is "ink" that the background estimate removes, leaving only noise.
    """
    bg = float(quantiles(border_values(plane), 50))
    lo, hi = extremes if extremes is not None else ink_extremes(plane)
    margin = (bg - lo) - (hi - bg)
    if abs(margin) >= POLARITY_MARGIN * (hi - lo):
        return margin > 0
    step = max(1, max(plane.shape) // 160)
    sub = np.ascontiguousarray(plane[::step, ::step], np.float32)
    return _separation(flatten(1.0 - sub)) >= _separation(flatten(sub))


def _edge_padded(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """(h, w) copy of (h0 <= h, w0 <= w) ``x`` extended by repeating its last row/column."""
    h0, w0 = x.shape
    out = np.empty((h, w), x.dtype)
    out[:h0, :w0] = x
    out[h0:, :w0] = x[-1]
    out[:, w0:] = out[:, w0 - 1:w0]
    return out


def _window(grid: np.ndarray, size: int, op) -> np.ndarray:
    """``size`` x ``size`` minimum (``op=np.minimum``) or maximum (``np.maximum``) filter
    of a small (h, w) grid, edges repeated (separable). Repeated edge values are already
    in the window, so the window is simply clipped at the edges: no padded copy."""
    r = size // 2
    rows = grid.copy()
    for k in range(1, r + 1):
        op(rows[k:], grid[:-k], out=rows[k:])
        op(rows[:-k], grid[k:], out=rows[:-k])
    out = rows.copy()
    for k in range(1, r + 1):
        op(out[:, k:], rows[:, :-k], out=out[:, k:])
        op(out[:, :-k], rows[:, k:], out=out[:, :-k])
    return out


@lru_cache(maxsize=64)
def _band(n: int, size: int) -> np.ndarray:
    """Read-only (n, n) float32 matrix with ones where |i - j| <= size // 2: ``B @ v`` sums
    ``v`` over a window of ``size`` clipped at the ends."""
    i = np.arange(n)
    band = (np.abs(i[:, None] - i[None, :]) <= size // 2).astype(np.float32)
    band.flags.writeable = False
    return band


#: The background grid has this many blocks along the picture's longer side ...
BACKGROUND_BLOCKS = 32
#: ... and an opening (minimum, then maximum) over this many blocks square removes the
#: strokes from it: wide enough for a marker stroke, while a shadow's edge keeps its place.
BACKGROUND_WINDOW = 7


def _block_background(x: np.ndarray, blocks: int = BACKGROUND_BLOCKS) -> np.ndarray | float:
    """Smooth background estimate of ink-bright (h, w) ``x``: per-block 20th percentile,
    a ``BACKGROUND_WINDOW``-block opening (the minimum drops even thick strokes, the
    maximum after it puts the edges of shadows and lit areas back where they were),
    bilinear upsampling. A uniform estimate comes back as one float (no upsampling)."""
    h, w = x.shape
    bs = max(4, int(np.ceil(max(h, w) / blocks)))
    gh, gw = -(-h // bs), -(-w // bs)
    padded = x if (gh * bs, gw * bs) == (h, w) else _edge_padded(x, gh * bs, gw * bs)
    pos = 0.2 * (bs * bs - 1)
    k = int(pos)
    if _uniform_floor(padded, bs, k + 1 if pos == k else k + 2):
        return float(padded.min())
    tiles = padded.reshape(gh, bs, gw, bs).transpose(0, 2, 1, 3).reshape(gh, gw, bs * bs)
    part = np.partition(tiles, (k, k + 1), axis=2)
    lo, hi = part[:, :, k], part[:, :, k + 1]
    grid = (lo + (hi - lo) * np.float32(pos - k)).astype(np.float32)
    grid = _window(_window(grid, BACKGROUND_WINDOW, np.minimum), BACKGROUND_WINDOW, np.maximum)
    if grid.max() == grid.min():
        return float(grid[0, 0])
    img = Image.fromarray(grid, mode="F")
    # Block centres map to pixel centres: scale the grid to the padded size, then crop.
    big = np.asarray(img.resize((gw * bs, gh * bs), Image.Resampling.BILINEAR), np.float32)
    return big[:h, :w]


def _uniform_floor(padded: np.ndarray, bs: int, need: int) -> bool:
    """True when the block background of (gh * bs, gw * bs) ``padded`` is sure to be
    its global minimum m everywhere (clean paper, canvases, MNIST).

    A "floor tile" holds at least ``need`` pixels at m: its k-th smallest value is m
    and, when the percentile interpolates, so is the (k + 1)-th, so its 20th
    percentile is exactly m. No percentile is below m, so after the window minimum
    every block with a floor tile in its window is m. When that is every block, the
    maximum that follows keeps them all m and the background is the float m: the
    result of the partition over all tiles, for a compare and a sum.
    """
    gh, gw = padded.shape[0] // bs, padded.shape[1] // bs
    at_floor = (padded == padded.min()).reshape(gh, bs, gw * bs)
    # Per-tile counts in two single-axis sums: several times faster than one sum over
    # axes (1, 3) when the tiles are small (a 280 px canvas has 9 px tiles).
    floor_tile = at_floor.sum(axis=1, dtype=np.int32).reshape(gh, gw, bs).sum(axis=2) >= need
    if floor_tile.all():
        return True
    # The window minimum puts m in every block with a floor tile in its window: count the
    # floor tiles in each block's (clipped) window with two small band-matrix products.
    counts = _band(gh, BACKGROUND_WINDOW) @ floor_tile.astype(np.float32) @ _band(gw, BACKGROUND_WINDOW)
    return bool(counts.min() > 0)


def flatten(x: np.ndarray) -> np.ndarray:
    """Remove smooth background from ink-bright (h, w) ``x`` -> (h, w) float32 >= 0.

    The residual is divided by the local paper brightness (1 - background), since
    shading scales ink contrast multiplicatively on paper.
    """
    bg = _block_background(x)
    if isinstance(bg, float):  # uniform paper: one subtraction and one scale
        out = x - np.float32(bg)
        out *= np.float32(1.0 / max(1.0 - bg, 0.25))
    else:
        out = (x - bg) / np.maximum(1.0 - bg, 0.25)
    return np.maximum(out, 0.0, out=out)


def _to_ink(plane: np.ndarray, extremes: tuple[float, float] | None = None) -> np.ndarray:
    return 1.0 - plane if ink_polarity(plane, extremes) else plane


def ink_map(channels: np.ndarray, auto_channel: bool = True,
            extremes: tuple[float, float] | None = None) -> np.ndarray:
    """Opaque (c, h, w) float channels -> (h, w) float32 ink map (ink bright, bg ~0).

    Candidates are the luminance and, with ``auto_channel``, each colour channel; the
    one whose flattened map (judged on a subsampled copy, for speed) has the clearly
    largest ink/background separation wins, so coloured ink on coloured paper keeps
    its contrast. ``extremes``: ``ink_extremes(plane)`` of a grey (c = 1) image when the
    caller already has them.
    """
    if channels.shape[0] != 3:
        return flatten(_to_ink(channels[0].astype(np.float32, copy=False), extremes))
    luma = np.tensordot(_LUMA, channels, axes=1)
    best = luma
    step = max(1, max(luma.shape) // 160)
    sub = channels[:, ::step, ::step]
    if auto_channel and not _same_planes(sub) and np.abs(sub - sub.mean(axis=0)).max() > 0.08:
        best_score = _separation(flatten(_to_ink(luma[::step, ::step])))
        for plane in channels:
            score = _separation(flatten(_to_ink(plane[::step, ::step])))
            if score > best_score * 1.15:
                best, best_score = plane, score
    return flatten(_to_ink(best.astype(np.float32, copy=False)))  # flatten never aliases


def _same_planes(sub: np.ndarray) -> bool:
    """True when the (3, h, w) planes are identical (grey saved as RGB, black-ink
    canvases). Then each pixel's channel mean is x within 2 float32 roundings, so the
    colour test (a channel 0.08 away from the mean) is false without computing it."""
    return bool((sub[0] == sub[1]).all() and (sub[1] == sub[2]).all())


def _separation(flat: np.ndarray) -> float:
    """Contrast between ink and background classes of ``flat``, relative to noise."""
    values = np.clip(flat, 0.0, 1.0)
    t = otsu_threshold(values)
    fg, bg = values[values > t], values[values <= t]
    if fg.size == 0 or bg.size == 0:
        return 0.0
    return float((fg.mean() - bg.mean()) / (bg.std() + 0.02))


#: A ruled line's band of rows (after the 3-row maximum) is at most this many rows or
#: this fraction of the picture's height, whichever is larger.
RULE_MAX_ROWS = 5
RULE_MAX_FRACTION = 0.025


def _rule_rows(src: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(row indices, row levels) of the ruled lines of (h, w) ``src`` (see ``erase_rules``)."""
    h, w = src.shape
    edge = max(1, int(0.05 * w))
    over = src > threshold
    near = over.copy()  # over threshold after the 3-row maximum
    near[1:] |= over[:-1]
    near[:-1] |= over[1:]
    # A row median over the threshold needs at least half the row over it: a cheap
    # necessary test, so the exact median runs only on the few candidate rows.
    cand = np.flatnonzero((near.sum(axis=1) >= w // 2) & near[:, :edge].any(axis=1)
                          & near[:, -edge:].any(axis=1))
    if cand.size == 0:
        return cand, np.zeros(0, src.dtype)
    rows = src[cand]
    vmax = rows.copy()
    up, down = src[np.maximum(cand - 1, 0)], src[np.minimum(cand + 1, h - 1)]
    # At the picture's edge the missing neighbour row counts as 0 ink (never larger).
    np.maximum(vmax, np.where((cand > 0)[:, None], up, 0), out=vmax)
    np.maximum(vmax, np.where((cand < h - 1)[:, None], down, 0), out=vmax)
    level = np.median(vmax, axis=1)
    keep = level > threshold
    rows, level = cand[keep], level[keep]
    if rows.size:
        # A printed rule is a thin band of rows; a band thicker than 2.5% of the picture
        # (a pen or marker stroke drawn across a canvas) is handwriting and stays.
        band = np.concatenate(([0], np.cumsum(np.diff(rows) > 1)))
        thin = np.bincount(band)[band] <= max(RULE_MAX_ROWS, RULE_MAX_FRACTION * h)
        rows, level = rows[thin], level[thin]
    return rows, level


def erase_rules(flat: np.ndarray, threshold: float) -> np.ndarray:
    """Subtract ruled lines from ink map (h, w) ``flat`` -> (h, w) map.

    A ruled line is a row (or column) whose ink, after a 3-row maximum to absorb a
    slight tilt, covers more than half of it and reaches both ends of it (within 5%),
    something handwriting with any margin never does, in a band of rows no thicker than
    ``RULE_MAX_ROWS`` or ``RULE_MAX_FRACTION`` of the picture (a pen stroke drawn right
    across a canvas is thicker than a printed rule). Its level (the row median) is
    subtracted, so strokes darker than the line survive where they cross it.
    Returns ``flat`` itself (not a copy) when there is nothing to erase, including
    pictures under 48 px a side.
    """
    if min(flat.shape) < 48:
        return flat
    rows, row_level = _rule_rows(flat, threshold)
    cols, col_level = _rule_rows(flat.T, threshold)
    if rows.size == 0 and cols.size == 0:
        return flat
    out = flat.copy()
    out[rows] = np.clip(out[rows] - row_level[:, None], 0.0, None)
    out[:, cols] = np.clip(out[:, cols] - col_level[None, :], 0.0, None)
    return out


def ink_threshold(flat: np.ndarray) -> tuple[float, float]:
    """(threshold, ink level) of flattened ``flat``.

    The threshold is Otsu's, raised to sit clear of the noise floor and at a quarter
    of the ink level at least; the ink level is a high percentile of the pixels over it.
    """
    values = flat.reshape(-1)
    if values.size > 40000:  # thresholds need a histogram, not every pixel
        values = values[:: values.size // 40000]
    values = np.maximum(values, 0.0)
    np.minimum(values, 1.0, out=values)
    if values.size <= SORT_LIMIT:
        return _ink_threshold_sorted(values)
    med, peak = quantiles(values, [50, 99.9])
    if values.size <= 1000:
        peak = float(values.max())
    deviation = values - med
    sigma = float(quantiles(np.abs(deviation, out=deviation), 50) * 1.4826)
    t = max(otsu_threshold(values), float(med) + 5 * sigma, 0.25 * float(peak))
    above = values[values > t]
    level = float(quantiles(above, 75)) if above.size else float(peak)
    return t, max(level, t + 1e-3)


def _sorted_quantile(s: np.ndarray, q: float, start: int = 0) -> float:
    """``quantiles(s[start:], q)`` of ascending ``s`` (same interpolation, no partition)."""
    pos = q / 100.0 * (s.size - start - 1)
    i = int(pos)
    j = min(i + 1, s.size - start - 1)
    lo = float(s[start + i])
    return lo + (float(s[start + j]) - lo) * (pos - i)


def _ink_threshold_sorted(values: np.ndarray) -> tuple[float, float]:
    """``ink_threshold`` of clipped float (n <= SORT_LIMIT,) ``values`` from one sort:
    the median, the peak, Otsu's histogram and the pixels over the threshold are all
    read off the sorted copy, so the numbers are those of the general path."""
    s = np.sort(values)
    med = _sorted_quantile(s, 50)
    peak = float(s[-1]) if s.size <= 1000 else _sorted_quantile(s, 99.9)
    # In float64, as in the general path (where ``med`` is a NumPy float64).
    sigma = float(quantiles(np.abs(values - np.float64(med)), 50) * 1.4826)
    t = max(_otsu_sorted(s), med + 5 * sigma, 0.25 * peak)
    # ``values > t`` compares in the array's precision (NumPy casts the Python float),
    # so search for t in that precision: the pixels over it are the tail s[start:].
    start = int(np.searchsorted(s, s.dtype.type(t), side="right"))
    level = _sorted_quantile(s, 75, start) if start < s.size else peak
    return t, max(level, t + 1e-3)
