"""Connected components of an ink mask (pure NumPy): labelling and per-component statistics.

Labelling works on horizontal runs of ink, not pixels: runs come from one ``flatnonzero``
over the row-wise changes, 8-connected runs of neighbouring rows are paired with two
``searchsorted`` calls, and the runs are merged by hooking + pointer jumping (O(log n)
vectorised rounds). A digit has a few hundred runs where it has tens of thousands of
pixels, so this costs a few dozen small NumPy calls whatever the image size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Runs:
    """Horizontal runs of a (h, w) mask, in raster order; arrays are (m,) intp.

    ``row`` and ``start`` locate each run, ``stop`` is its exclusive end column, and
    ``label`` its component (0..n-1, numbered by first pixel in raster order).
    """

    shape: tuple[int, int]
    row: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    label: np.ndarray
    n: int


def bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The bounding box (rows, cols) of the True pixels of (h, w) bool ``mask``, or None."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1)


def run_bounds(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, start, stop) of the runs of boolean (h, w) ``mask`` in raster order."""
    h, w = mask.shape
    framed = np.zeros((h, w + 2), bool)  # a False column each side closes every run
    framed[:, 1:-1] = mask
    change = np.flatnonzero(framed[:, 1:] != framed[:, :-1])  # on the (h, w + 1) grid
    row, start = np.divmod(change[0::2], w + 1)
    return row, start, change[1::2] - row * (w + 1)


def _run_edges(row, start, stop, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a, b) of runs where b is in the row below a and 8-touches it."""
    width = w + 2
    start_key = row * width + start
    stop_key = row * width + stop
    below = (row + 1) * width
    # Runs of the next row that end at or after a's start and begin at or before a's stop.
    first = np.searchsorted(stop_key, below + start, side="left")
    last = np.searchsorted(start_key, below + stop, side="right")
    count = np.maximum(last - first, 0)
    a = np.repeat(np.arange(row.size), count)
    offset = np.arange(a.size) - np.repeat(np.cumsum(count) - count, count)
    return a, np.repeat(first, count) + offset


#: Up to this many runs, ``find_runs`` labels in plain Python (cheaper than the fixed
#: cost of the vectorised pairing and merging on a clean digit's few dozen runs).
SMALL_RUNS = 64


def _label_small(row: list[int], start: list[int], stop: list[int]) -> tuple[list[int], int]:
    """(component label of every run, component count) for runs given as Python lists
    in raster order: union-find over the pairs ``_run_edges`` finds (run b in the row
    below run a touches it when start_b <= stop_a and stop_b >= start_a). Each union
    hangs the larger root under the smaller, so a root is its component's first run and
    numbering roots in order of first appearance is the raster order of ``find_runs``."""
    m = len(row)
    parent = list(range(m))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving
            i = parent[i]
        return i

    for a in range(m):
        for b in range(a + 1, m):
            if row[b] > row[a] + 1:
                break
            if row[b] == row[a] + 1 and start[b] <= stop[a] and stop[b] >= start[a]:
                ra, rb = root(a), root(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    number: dict[int, int] = {}
    labels = [number.setdefault(root(i), len(number)) for i in range(m)]
    return labels, len(number)


def _merge(m: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Root (smallest member) of every node 0..m-1 given undirected edges (u, v)."""
    parent = np.arange(m)
    while u.size:  # usually 2-3 rounds; none when no two runs touch
        pu, pv = parent[u], parent[v]
        differ = pu != pv
        if not differ.any():
            break
        hi, lo = np.maximum(pu[differ], pv[differ]), np.minimum(pu[differ], pv[differ])
        np.minimum.at(parent, hi, lo)  # hook each root onto the smaller neighbour root
        while True:  # pointer jumping until every node points at its root
            jumped = parent[parent]
            if (jumped == parent).all():
                break
            parent = jumped
        u, v = u[differ], v[differ]  # edges already inside one tree stay there
    return parent


def find_runs(mask: np.ndarray) -> Runs:
    """8-connected components of boolean (h, w) ``mask`` as labelled runs."""
    row, start, stop = run_bounds(mask)
    if row.size <= SMALL_RUNS:
        labels, n = _label_small(row.tolist(), start.tolist(), stop.tolist())
        return Runs(mask.shape, row, start, stop, np.array(labels, dtype=np.intp), n)
    u, v = _run_edges(row, start, stop, mask.shape[1])
    parent = _merge(row.size, u, v)
    is_root = parent == np.arange(row.size)
    number = is_root.cumsum() - 1  # roots are each component's first run: raster order
    return Runs(mask.shape, row, start, stop, number[parent], int(number[-1] + 1) if row.size else 0)


def paint(runs: Runs, values: np.ndarray) -> np.ndarray:
    """(h, w) array holding ``values[i]`` on run i and 0 elsewhere (values (m,) int or bool)."""
    h, w = runs.shape
    step = np.zeros(h * (w + 1) + 1, np.int64)
    vals = np.asarray(values, np.int64)
    step[runs.row * (w + 1) + runs.start] = vals  # runs never share a start or stop cell
    step[runs.row * (w + 1) + runs.stop] -= vals
    return np.cumsum(step[:-1]).reshape(h, w + 1)[:, :w]


def label_components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected labelling of boolean (h, w) ``mask``.

    Returns (labels (h, w) int32 with 0 = background and 1..n components ordered by
    first pixel in raster order, n).
    """
    runs = find_runs(np.asarray(mask, bool))
    return paint(runs, runs.label + 1).astype(np.int32), runs.n


@dataclass(frozen=True)
class Components:
    """Per-component statistics; arrays are (n,) and index i is label i + 1."""

    area: np.ndarray   # pixel count
    mass: np.ndarray   # summed ink intensity
    top: np.ndarray
    left: np.ndarray
    bottom: np.ndarray  # inclusive
    right: np.ndarray   # inclusive
    runs: np.ndarray    # horizontal runs: area / runs is the mean run length, a thickness
    spread: np.ndarray  # (n, 3) second central moments of the pixels: var(row), var(col), cov


def run_stats(runs: Runs, weight: np.ndarray) -> Components:
    """Statistics of the components of ``runs`` weighted by (h, w) ``weight``."""
    h, w = runs.shape
    n, lab = runs.n, runs.label
    cum = np.zeros((h, w + 1))  # row-wise running sums: a run's mass is one difference
    np.cumsum(weight, axis=1, out=cum[:, 1:])
    run_mass = cum[runs.row, runs.stop] - cum[runs.row, runs.start]
    area = np.bincount(lab, weights=runs.stop - runs.start, minlength=n).astype(np.int64)
    mass = np.bincount(lab, weights=run_mass, minlength=n)
    top = np.full(n, h); left = np.full(n, w); bottom = np.full(n, -1); right = np.full(n, -1)
    np.minimum.at(top, lab, runs.row); np.minimum.at(left, lab, runs.start)
    np.maximum.at(bottom, lab, runs.row); np.maximum.at(right, lab, runs.stop - 1)
    sums = [np.bincount(lab, weights=v, minlength=n) for v in _run_sums(runs.row, runs.start, runs.stop)]
    return Components(area, mass, top, left, bottom, right, np.bincount(lab, minlength=n),
                      _spread(area, *sums))


def _run_sums(row: np.ndarray, start: np.ndarray, stop: np.ndarray) -> list[np.ndarray]:
    """Per run (m,): the sums of row, col, row^2, col^2 and row * col over its pixels
    (cols start .. stop - 1), in float64."""
    a, b = start.astype(np.float64), stop.astype(np.float64)
    count, r = b - a, row.astype(np.float64)
    sum_x = count * (a + b - 1) / 2
    sum_xx = ((b - 1) * b * (2 * b - 1) - (a - 1) * a * (2 * a - 1)) / 6
    return [r * count, sum_x, r * r * count, sum_xx, r * sum_x]


def runs_spread(runs: Runs, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pixels of the runs flagged ``keep`` ((m,) bool) as one piece: ((1,) pixel count,
    (1, 3) second central moments, as ``Components.spread``)."""
    stop, start = runs.stop[keep], runs.start[keep]
    area = np.array([int((stop - start).sum())])
    sums = [np.array([v.sum()]) for v in _run_sums(runs.row[keep], start, stop)]
    return area, _spread(area, *sums)


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
    starts = np.ones(rows.size, bool)  # a pixel starts a run unless its left neighbour is in it
    starts[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1] + 1) | (lab[1:] != lab[:-1])
    y, x = rows.astype(np.float64), cols.astype(np.float64)
    sums = [np.bincount(lab, weights=v, minlength=n) for v in (y, x, y * y, x * x, y * x)]
    return Components(area, mass, top, left, bottom, right, np.bincount(lab[starts], minlength=n),
                      _spread(area, *sums))


def _spread(area, sum_y, sum_x, sum_yy, sum_xx, sum_yx) -> np.ndarray:
    """(n,) pixel counts and sums of row, col, row^2, col^2, row * col -> (n, 3) central
    second moments (var(row), var(col), cov(row, col)) per pixel."""
    count = np.maximum(area, 1).astype(np.float64)
    my, mx = sum_y / count, sum_x / count
    return np.stack([sum_yy / count - my * my, sum_xx / count - mx * mx,
                     sum_yx / count - my * mx], axis=1)


def outside(mask: np.ndarray) -> np.ndarray:
    """Boolean (h, w): the pixels off boolean ``mask`` that connect to the picture's border
    (8-connected). The mask's holes (what a closed outline encloses) are not outside."""
    runs = find_runs(~mask)
    if runs.n == 0:
        return np.zeros_like(mask)
    stats = run_stats(runs, mask)
    return paint(runs, at_edge(stats, mask.shape)[runs.label]) > 0


def at_edge(c: Components, shape: tuple[int, int]) -> np.ndarray:
    """(n,) bool: components that touch the edge of the (h, w) ``shape`` picture."""
    return (c.top == 0) | (c.left == 0) | (c.bottom == shape[0] - 1) | (c.right == shape[1] - 1)


def box_gaps(c: Components, box) -> np.ndarray:
    """(n,) pixels between ``box`` (top, left, bottom, right, inclusive) and every
    component's bounding box (0 where they overlap)."""
    top, left, bottom, right = box
    gap_y = np.maximum(0, np.maximum(c.top - bottom, top - c.bottom))
    gap_x = np.maximum(0, np.maximum(c.left - right, left - c.right))
    return np.maximum(gap_y, gap_x)
