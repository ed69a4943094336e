"""Ruled lines: find the rows and columns of printed rules in an ink map and subtract them."""

from __future__ import annotations

import numpy as np

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
