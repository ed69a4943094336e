"""Connected components of an ink mask (pure NumPy) and selection of the digit.

Labelling uses hooking + pointer jumping on the 8-neighbour edge list, so it needs
O(log n) vectorised rounds rather than a Python loop over pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected labelling of boolean (h, w) ``mask``.

    Returns (labels (h, w) int32 with 0 = background and 1..n components ordered by
    first pixel in raster order, n).
    """
    h, w = mask.shape
    idx = np.flatnonzero(mask)
    n = idx.size
    if n == 0:
        return np.zeros((h, w), np.int32), 0
    pos = np.full(h * w, -1, np.int64)
    pos[idx] = np.arange(n)
    grid = pos.reshape(h, w)
    edges = []
    for a, b in ((grid[:, :-1], grid[:, 1:]), (grid[:-1, :], grid[1:, :]),
                 (grid[:-1, :-1], grid[1:, 1:]), (grid[:-1, 1:], grid[1:, :-1])):
        keep = (a >= 0) & (b >= 0)
        edges.append(np.stack([a[keep], b[keep]]))
    u, v = np.concatenate(edges, axis=1)
    parent = np.arange(n)
    while True:
        pu, pv = parent[u], parent[v]
        differ = pu != pv
        if not differ.any():
            break
        hi, lo = np.maximum(pu[differ], pv[differ]), np.minimum(pu[differ], pv[differ])
        np.minimum.at(parent, hi, lo)  # hook each root onto the smaller neighbour root
        while True:  # pointer jumping until every node points at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    roots, compact = np.unique(parent, return_inverse=True)
    labels = np.zeros(h * w, np.int32)
    labels[idx] = compact.astype(np.int32) + 1
    return labels.reshape(h, w), int(roots.size)


@dataclass(frozen=True)
class Components:
    """Per-component statistics; arrays are (n,) and index i is label i + 1."""

    area: np.ndarray   # pixel count
    mass: np.ndarray   # summed ink intensity
    top: np.ndarray
    left: np.ndarray
    bottom: np.ndarray  # inclusive
    right: np.ndarray   # inclusive


def component_stats(labels: np.ndarray, n: int, weight: np.ndarray) -> Components:
    """Statistics of components 1..n in ``labels`` weighted by (h, w) ``weight``."""
    rows, cols = np.nonzero(labels)
    lab = labels[rows, cols] - 1
    area = np.bincount(lab, minlength=n)
    mass = np.bincount(lab, weights=weight[rows, cols], minlength=n)
    top = np.full(n, labels.shape[0]); left = np.full(n, labels.shape[1])
    bottom = np.full(n, -1); right = np.full(n, -1)
    np.minimum.at(top, lab, rows); np.minimum.at(left, lab, cols)
    np.maximum.at(bottom, lab, rows); np.maximum.at(right, lab, cols)
    return Components(area, mass, top, left, bottom, right)


def _is_rule(c: Components, i: int, shape: tuple[int, int]) -> bool:
    """A ruled line: much longer than thick and spanning most of the picture."""
    h = c.bottom[i] - c.top[i] + 1
    w = c.right[i] - c.left[i] + 1
    return ((w >= 0.6 * shape[1] and w >= 8 * h) or (h >= 0.6 * shape[0] and h >= 8 * w)) \
        and min(shape) >= 48


def select_digit(labels: np.ndarray, n: int, weight: np.ndarray,
                 min_mass_frac: float = 0.03, reach: float = 0.5) -> np.ndarray:
    """Boolean (h, w) mask of the components that make up the digit.

    Seeds with the heaviest component that is not a ruled line, then repeatedly adds
    components with at least ``min_mass_frac`` of its mass whose bounding box lies
    within ``reach`` x (group's longest side) of the group's box. Empty if none.
    """
    if n == 0:
        return np.zeros(labels.shape, bool)
    c = component_stats(labels, n, weight)
    eligible = np.array([not _is_rule(c, i, labels.shape) for i in range(n)])
    eligible &= c.area >= 2
    if not eligible.any():
        return np.zeros(labels.shape, bool)
    seed = int(np.argmax(np.where(eligible, c.mass, -1.0)))
    eligible &= c.mass >= min_mass_frac * c.mass[seed]
    chosen = np.zeros(n, bool)
    chosen[seed] = True
    box = [c.top[seed], c.left[seed], c.bottom[seed], c.right[seed]]
    while True:
        size = max(box[2] - box[0], box[3] - box[1]) + 1
        gap_y = np.maximum(0, np.maximum(c.top - box[2], box[0] - c.bottom))
        gap_x = np.maximum(0, np.maximum(c.left - box[3], box[1] - c.right))
        near = eligible & ~chosen & (np.maximum(gap_y, gap_x) <= reach * size)
        if not near.any():
            break
        chosen |= near
        box = [min(box[0], c.top[near].min()), min(box[1], c.left[near].min()),
               max(box[2], c.bottom[near].max()), max(box[3], c.right[near].max())]
    keep = np.zeros(n + 1, bool)
    keep[1:] = chosen
    return keep[labels]
