"""Ruled lines: find the rows and columns of printed rules in an ink map and subtract them;
tell a digit drawn into a box (the box and the digit one piece of ink) by its four sides."""

from __future__ import annotations

import numpy as np

from digit_classifier.preprocessing.mnist_form import pool_any

#: A ruled line's band of rows (after the 3-row maximum) is at most this many rows or
#: this fraction of the picture's height, whichever is larger.
RULE_MAX_ROWS = 5
RULE_MAX_FRACTION = 0.025
#: A ruled line stands alone: ``RULE_ALONE_GAP`` rows above and below its band the row is
#: paper for most of its length (median ink at most half the threshold). A stroke of a
#: digit cropped tight runs edge to edge too, but the rows beside it are stroke as well
#: (dev halves: 42 tight crops and 14 low-res scans lost a stroke to the eraser; now 5 and
#: 0, the ruled set's 907 erasures unchanged; docs/preprocessing.md).
RULE_ALONE_GAP = 3
#: A digit's ink is framed (a form's box drawn round it, touching or crossing it) when ink
#: lies within ``FRAME_SIDE_DEPTH`` of its box's side (at least 2 px) along at least
#: ``FRAME_SIDE_COVER`` of each of the four sides. A digit alone covers two sides at most
#: (a "7"'s bar, a "2"'s base), even cropped tight.
FRAME_SIDE_DEPTH = 0.06
FRAME_SIDE_COVER = 0.85
#: Ruled lines photographed at a tilt (``erase_rules``, ``rule_slope``): slopes up to
#: ``TILT_MAX`` (about 6 degrees) are searched, first on the over-threshold mask pooled
#: to at most ``TILT_GRID`` columns, then at full size; at least ``TILT_MIN_LINES``
#: bands must line up, as on a page of rules or a box's two sides (a digit's one bar
#: does not), before anything is erased.
TILT_MAX = 0.105
TILT_GRID = 128
TILT_MIN_LINES = 2


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
    alone = _standing_alone(src, rows, threshold)
    return rows[alone], level[alone]


def _standing_alone(src: np.ndarray, rows: np.ndarray, threshold: float) -> np.ndarray:
    """(k,) bool for sorted ``rows`` of (h, w) ``src``: whether the band of consecutive
    rows each lies in has paper ``RULE_ALONE_GAP`` rows above and below it (row median at
    most ``threshold / 2``; outside the picture counts as paper)."""
    if rows.size == 0:
        return np.zeros(0, bool)
    h = src.shape[0]
    starts = np.flatnonzero(np.concatenate(([True], np.diff(rows) > 1)))
    ends = np.concatenate((starts[1:], [rows.size])) - 1
    beside = np.concatenate((rows[starts] - RULE_ALONE_GAP, rows[ends] + RULE_ALONE_GAP))
    level = np.zeros(beside.size)
    inside = (beside >= 0) & (beside < h)
    if inside.any():
        level[inside] = np.median(src[beside[inside]], axis=1)
    paper = level <= threshold / 2
    alone = paper[:starts.size] & paper[starts.size:]
    return np.repeat(alone, ends - starts + 1)


def erase_rules(flat: np.ndarray, threshold: float) -> np.ndarray:
    """Subtract ruled lines from ink map (h, w) ``flat`` -> (h, w) map.

    A ruled line is a row (or column) whose ink, after a 3-row maximum to absorb a
    slight tilt, covers more than half of it and reaches both ends of it (within 5%),
    something handwriting with any margin never does, in a band of rows no thicker than
    ``RULE_MAX_ROWS`` or ``RULE_MAX_FRACTION`` of the picture (a pen stroke drawn right
    across a canvas is thicker than a printed rule), with paper beside the band
    (``RULE_ALONE_GAP``: a tight crop's stroke has more stroke beside it). Its level (the
    row median) is subtracted, so strokes darker than the line survive where they cross it.
    A page photographed a little askew: when the rows' ink lines up best at a slope
    (``rule_slope``) and at least ``TILT_MIN_LINES`` bands pass the test along it, those
    rows, and the columns along the perpendicular slope, are erased instead.
    Returns ``flat`` itself (not a copy) when there is nothing to erase, including
    pictures under 48 px a side.
    """
    if min(flat.shape) < 48:
        return flat
    slope = rule_slope(flat > threshold)
    if slope != 0.0:
        out = _erase_along(flat, threshold, slope, TILT_MIN_LINES)
        if out is not None:  # a page askew: its columns (a margin line) lean the other way
            columns = _erase_along(out.T, threshold, -slope, 1)
            return out if columns is None else np.ascontiguousarray(columns.T)
    rows, row_level = _rule_rows(flat, threshold)
    cols, col_level = _rule_rows(flat.T, threshold)
    if rows.size == 0 and cols.size == 0:
        return flat
    out = flat.copy()
    out[rows] = np.clip(out[rows] - row_level[:, None], 0.0, None)
    out[:, cols] = np.clip(out[:, cols] - col_level[None, :], 0.0, None)
    return out


def framed(mask: np.ndarray) -> bool:
    """Whether (h, w) bool ``mask``, a digit's selected ink cut to its box, is framed: ink
    along all four sides of the box (``FRAME_SIDE_DEPTH``, ``FRAME_SIDE_COVER``). False
    under 48 px a side, where ``erase_rules`` would not erase the frame anyway."""
    h, w = mask.shape
    if min(h, w) < 48:
        return False
    dy, dx = max(2, round(FRAME_SIDE_DEPTH * h)), max(2, round(FRAME_SIDE_DEPTH * w))
    sides = (mask[:dy].any(axis=0), mask[-dy:].any(axis=0),
             mask[:, :dx].any(axis=1), mask[:, -dx:].any(axis=1))
    return all(side.mean() >= FRAME_SIDE_COVER for side in sides)


def _erase_along(flat: np.ndarray, threshold: float, slope: float, min_bands: int) -> np.ndarray | None:
    """(h, w) ink map ``flat`` with the ruled lines that run at ``slope`` (rows per column)
    subtracted, or None when they make fewer than ``min_bands`` bands.

    The columns are shifted by whole pixels so that such lines run level, the level-line
    test (``_rule_rows``) runs there, and the columns are shifted back: the digit is not
    resampled."""
    shifts = np.rint(slope * np.arange(flat.shape[1])).astype(np.intp)
    level = _shear(flat, shifts)
    rows, row_level = _rule_rows(level, threshold)
    bands = np.count_nonzero(np.diff(rows) > 1) + 1 if rows.size else 0
    if bands < min_bands:
        return None
    level[rows] = np.clip(level[rows] - row_level[:, None], 0.0, None)
    return _unshear(level, shifts, flat.shape[0])


def rule_slope(mask: np.ndarray) -> float:
    """The slope (rows per column, at most ``TILT_MAX`` either way) along which the ink rows
    of (h, w) bool ``mask`` line up best (``_best_slope``), or 0.0 when no line there
    covers half the width, or the best slope is level. Searched in steps of one pooled row
    across the pooled picture (``TILT_GRID``), then of one row across the picture."""
    edge = max(1, int(0.05 * mask.shape[1]))
    if not (mask[:, :edge].any() and mask[:, -edge:].any()):
        return 0.0  # a ruled line reaches both ends (``_rule_rows``): nothing to search for
    step = max(1, -(-mask.shape[1] // TILT_GRID))
    pooled = pool_any(mask, step)
    reach = int(np.ceil(TILT_MAX * pooled.shape[1]))
    coarse = _best_slope(pooled, _outwards(reach) / pooled.shape[1])
    if coarse is None or coarse == 0.0:
        return 0.0
    fine = _best_slope(mask, coarse + _outwards(step) / mask.shape[1])
    return 0.0 if fine is None else fine


def _outwards(reach: int) -> np.ndarray:
    """0, -1, 1, -2, 2, ... -reach, reach: on a tie the slope nearest level wins (a
    thick line fits a few slopes equally well)."""
    steps = np.arange(1, reach + 1)
    return np.concatenate(([0], np.stack([-steps, steps], axis=1).ravel())).astype(np.float64)


def _best_slope(mask: np.ndarray, slopes: np.ndarray) -> float | None:
    """The slope of ``slopes`` whose sheared row histogram of (h, w) ``mask``'s pixels is
    sharpest (largest sum of squared counts; the first of equal ones), or None when that
    histogram's peak does not reach half the width (no line along it)."""
    ys, xs = np.nonzero(mask)
    if ys.size < mask.shape[1] // 2:
        return None
    peaks, sharpness = [], []
    for slope in slopes:
        shifted = ys - np.rint(slope * xs).astype(np.intp)
        counts = np.bincount(shifted - shifted.min())
        peaks.append(counts.max())
        sharpness.append(int(counts @ counts))  # every line adds, each sharpest when level
    best = int(np.argmax(sharpness))
    return float(slopes[best]) if peaks[best] >= mask.shape[1] // 2 else None


def _shear(flat: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """(h, w) map -> (h + span, w) copy with column x moved up by ``shifts[x]`` rows (and
    down by the largest shift, so nothing leaves it); zeros fill the gaps."""
    h, w = flat.shape
    top = shifts.max()
    rows = np.arange(h + top - shifts.min())[:, None] - top + shifts[None, :]
    inside = (rows >= 0) & (rows < h)
    return np.where(inside, flat[np.clip(rows, 0, h - 1), np.arange(w)], 0.0).astype(flat.dtype)


def _unshear(level: np.ndarray, shifts: np.ndarray, h: int) -> np.ndarray:
    """Inverse of ``_shear``: the (h, w) map that ``_shear`` with ``shifts`` turned into ``level``."""
    rows = np.arange(h)[:, None] + shifts.max() - shifts[None, :]
    return level[rows, np.arange(level.shape[1])]
