"""Choose the connected components that make up the digit (not ruled lines, frames, objects at the
edge or lying beside the digit)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from digit_classifier.preprocessing.components import (Components, Runs, at_edge, box_gaps,
                                                       component_stats, find_runs, outside, paint,
                                                       run_stats)
from digit_classifier.preprocessing.mnist_form import dilate, pool_any

#: (n,) bool component flags -> (h, w) bool mask of those components' pixels.
Painter = Callable[[np.ndarray], np.ndarray]


#: A picture under this many pixels a side is a crop of the digit alone: it has no room for
#: ruled lines (``_rules``) or bands along its edge (``_bands``), and is not searched for them.
MIN_SCENE_SIDE = 48


def _rules(c: Components, shape: tuple[int, int]) -> np.ndarray:
    """(n,) bool: ruled lines, much longer than thick and spanning nearly the whole picture.

    A digit "1" drawn as one straight stroke is also long and thin, so a line must run
    (nearly) edge to edge to count; ``choose`` still falls back to it if nothing else is left.
    """
    if min(shape) < MIN_SCENE_SIDE:
        return np.zeros(c.area.size, bool)
    h = c.bottom - c.top + 1
    w = c.right - c.left + 1
    return ((w >= 0.9 * shape[1]) & (w >= 8 * h)) | ((h >= 0.9 * shape[0]) & (h >= 8 * w))


#: A band along the picture's edge (the table beside a sticky note that fills most of the
#: frame, a screen's bezel, a form box's side) is ink on at least ``BAND_COVER`` of one
#: side's border pixels. A digit's stroke cropped tight touches its side at a few pixels
#: (a bar is never that straight), so a band is the edge of something else, and it is left
#: out when another component has at least ``BAND_SEED_SHARE`` of its mass (a speck does not).
BAND_COVER = 0.8
BAND_SEED_SHARE = 0.01


def _bands(c: Components, shape: tuple[int, int], candidates: np.ndarray,
           painter: Painter | None) -> np.ndarray:
    """(n,) bool: the ``candidates`` that are bands along the picture's edge (``BAND_COVER``).
    Only components whose box runs along a side they touch are painted and measured."""
    h, w = shape
    bands = np.zeros(c.area.size, bool)
    if painter is None or min(shape) < MIN_SCENE_SIDE:
        return bands
    wide = ((c.top == 0) | (c.bottom == h - 1)) & (c.right - c.left + 1 >= BAND_COVER * w)
    tall = ((c.left == 0) | (c.right == w - 1)) & (c.bottom - c.top + 1 >= BAND_COVER * h)
    for k in np.flatnonzero(candidates & (wide | tall)):
        one = np.zeros(c.area.size, bool)
        one[k] = True
        ink = painter(one)
        cover = max(ink[0].mean(), ink[-1].mean(), ink[:, 0].mean(), ink[:, -1].mean())
        bands[k] = cover >= BAND_COVER
    return bands


def _without_bands(c: Components, shape: tuple[int, int], eligible: np.ndarray,
                   painter: Painter | None) -> np.ndarray:
    """``eligible`` without the bands along the edge (``_bands``), when another eligible
    component has at least ``BAND_SEED_SHARE`` of the heaviest band's mass."""
    bands = _bands(c, shape, eligible, painter)
    if not bands.any():
        return eligible
    rest = eligible & ~bands
    if rest.any() and c.mass[rest].max() >= BAND_SEED_SHARE * c.mass[bands].max():
        return rest
    return eligible


#: A hollow component (ink on under this fraction of its box) holding another component
#: of at least ``FRAME_CONTENT`` of its mass inside its box is a frame drawn round the digit.
FRAME_FILL = 0.25
FRAME_CONTENT = 0.1
#: ... and when the hollow component is drawn like a frame, not like an outlined
#: (hollow-lettered) digit, which is an outer contour holding the contours of its
#: counters: a frame is convex (a box, a ring), filling at least ``FRAME_CONVEX`` of its
#: box row by row and column by column (a box 1.0, an ellipse 0.79; an outlined "9" or "8":
#: about 0.6), or, left open (the ink it holds is not enclosed: a loop drawn round the
#: answer, open by up to ~60 degrees, fills 0.43-0.8), at least ``OPEN_FRAME_CONVEX``
#: (MNIST "7"s fill 0.35 at the median: most of a "7" holding a bar drawn apart is no
#: frame), ...
FRAME_CONVEX = 0.7
OPEN_FRAME_CONVEX = 0.4
#: ... and its inside ink does not follow its line: under ``OUTLINE_SHARE`` of that ink lies
#: within ``OUTLINE_GAP`` x the box's longer side of it (a counter's contour lies a
#: stroke's width inside the outer one; a digit written in a frame mostly further in).
OUTLINE_GAP = 0.15
OUTLINE_SHARE = 0.8
#: The outline test runs on the frame's box pooled to at most this many pixels a side.
OUTLINE_GRID = 64
#: An inside component seeds the digit, in preference to a heavier one cut by the
#: picture's edge, when it has at least this fraction of that one's mass ...
EDGE_SEED_SHARE = 0.2
#: ... and the edge one is an object in the frame (a pen lying on the page, a finger),
#: not a piece of the digit drawn against the edge (a "5" and its bar): it has at
#: least ``EDGE_OBJECT_SHARE`` of the inside one's mass and lies apart from it, by
#: ``EDGE_OBJECT_GAP`` of its longer side, or is ``EDGE_OBJECT_THICKER`` times thicker
#: (mean horizontal run length).
EDGE_OBJECT_SHARE = 0.5
EDGE_OBJECT_GAP = 0.15
EDGE_OBJECT_THICKER = 1.8
#: A solid blob cut by the edge (a fingertip holding the page, a pen cap, usually lighter
#: than the ink) is an object whatever its mass: it fills at least ``EDGE_BLOB_FILL`` of
#: its box, and its box's shorter side is at least ``EDGE_BLOB_SIDE`` of the digit's
#: longer side (a stroke broken off, however straight, is as narrow as the pen).
EDGE_BLOB_FILL = 0.6
EDGE_BLOB_SIDE = 0.25
#: A component further than ``FAR_GAP`` x the group's longest side from the group's box
#: joins only when its own longest side is at least ``PIECE_SIDE`` x the group's: a
#: stroke of the digit broken off. A caption's letters and specks are smaller; a digit's
#: pieces lie closer (dry-brush gaps, a "5"'s bar). Measured on the dev halves
#: (docs/preprocessing.md, "Captions").
FAR_GAP = 0.2
PIECE_SIDE = 0.5


def _frames(c: Components, candidates: np.ndarray, painter: Painter | None = None) -> np.ndarray:
    """(n,) bool: boxes or circles drawn round other ink (a form's field, a ring round the
    answer), hollow and holding, strictly inside their box, a component with at least
    ``FRAME_CONTENT`` of their mass. A "0" holds nothing that heavy. With ``painter``, a
    hollow component whose inside ink follows its line (``_outlined``) is no frame."""
    n = c.area.size
    frames = np.zeros(n, bool)
    box_area = (c.bottom - c.top + 1) * (c.right - c.left + 1)
    rows = np.flatnonzero(candidates & (c.area < FRAME_FILL * box_area)
                          & (c.mass >= FRAME_CONTENT * c.mass.max()))
    if rows.size == 0 or n < 2:
        return frames
    inside = ((c.top[None, :] > c.top[rows, None]) & (c.bottom[None, :] < c.bottom[rows, None])
              & (c.left[None, :] > c.left[rows, None]) & (c.right[None, :] < c.right[rows, None])
              & candidates[None, :])
    heavy = inside & (c.mass[None, :] >= FRAME_CONTENT * c.mass[rows, None])
    frames[rows] = heavy.any(axis=1)
    if painter is not None:
        for k in np.flatnonzero(frames[rows]):
            frames[rows[k]] = not _outlined(c, int(rows[k]), inside[k], painter)
    return frames


def _outlined(c: Components, line: int, held: np.ndarray, painter: Painter) -> bool:
    """True when hollow component ``line``, holding the components ``held`` ((n,) bool),
    is drawn like an outlined digit rather than a frame: not convex (``FRAME_CONVEX``, or
    ``OPEN_FRAME_CONVEX`` when the held ink is not enclosed), or with the held ink following
    its line (``OUTLINE_GAP``, ``OUTLINE_SHARE``)."""
    box = (slice(int(c.top[line]), int(c.bottom[line]) + 1),
           slice(int(c.left[line]), int(c.right[line]) + 1))
    one = np.zeros(c.area.size, bool)
    one[line] = True
    longer = max(c.bottom[line] - c.top[line], c.right[line] - c.left[line]) + 1
    step = max(1, math.ceil(longer / OUTLINE_GRID))
    ring = pool_any(painter(one)[box], step)
    ink = pool_any(painter(held)[box], step)
    floor = OPEN_FRAME_CONVEX if (outside(ring) & ink).any() else FRAME_CONVEX
    if min(_span_fill(ring), _span_fill(ring.T)) < floor:
        return True
    near = dilate(ring, 2 * math.ceil(OUTLINE_GAP * longer / step) + 1)
    return int((near & ink).sum()) >= OUTLINE_SHARE * int(ink.sum())


def _span_fill(mask: np.ndarray) -> float:
    """Share of (h, w) ``mask``'s box covered by each row's span, first to last pixel
    (1 for a box, pi/4 for an ellipse, less for a shape with bays)."""
    rows = mask.any(axis=1)
    first = np.argmax(mask, axis=1)
    last = mask.shape[1] - np.argmax(mask[:, ::-1], axis=1)
    return float(((last - first) * rows).sum()) / mask.size


def _size_and_gaps(c: Components, digit: int) -> tuple[int, np.ndarray]:
    """(longer side of component ``digit``'s box, (n,) gaps between its box and each
    component's box), in px."""
    size = max(c.bottom[digit] - c.top[digit], c.right[digit] - c.left[digit]) + 1
    return size, box_gaps(c, (c.top[digit], c.left[digit], c.bottom[digit], c.right[digit]))


def _edge_objects(c: Components, edge: np.ndarray, digit: int) -> np.ndarray:
    """(n,) bool: the components cut by the picture's edge that are objects in the frame
    rather than pieces of a digit whose main component is ``digit`` (see the constants)."""
    size, gaps = _size_and_gaps(c, digit)
    thickness = c.area / np.maximum(c.runs, 1)
    apart = (gaps >= EDGE_OBJECT_GAP * size) | (thickness >= EDGE_OBJECT_THICKER * thickness[digit])
    box_h, box_w = c.bottom - c.top + 1, c.right - c.left + 1
    blob = (c.area >= EDGE_BLOB_FILL * box_h * box_w) & (np.minimum(box_h, box_w) >= EDGE_BLOB_SIDE * size)
    return edge & ((c.mass >= EDGE_OBJECT_SHARE * c.mass[digit]) | blob) & apart


def _neighbours(c: Components, shape: tuple[int, int], digit: int) -> np.ndarray:
    """(n,) bool: components cut by the left or right edge that lie wholly beside
    component ``digit``, sharing no column with it: the neighbours of a digit cropped out
    of a number (a house number, a handwritten row)."""
    last = shape[1] - 1
    if c.left[digit] == 0 or c.right[digit] == last:
        return np.zeros(c.area.size, bool)
    left = (c.left == 0) & (c.right < c.left[digit])
    right = (c.right == last) & (c.left > c.right[digit])
    return left | right


#: A line drawn under the answer is at least ``UNDERLINE_RATIO`` times wider than tall.
UNDERLINE_RATIO = 5


def _underlines(c: Components, digit: int) -> np.ndarray:
    """(n,) bool: lines drawn under component ``digit``: wholly below it, at least
    ``UNDERLINE_RATIO`` times wider than tall, and spanning all of its columns (a "2"'s
    base drawn apart rarely reaches past the body on both sides)."""
    width, height = c.right - c.left + 1, c.bottom - c.top + 1
    return ((c.top > c.bottom[digit]) & (width >= UNDERLINE_RATIO * height)
            & (c.left <= c.left[digit]) & (c.right >= c.right[digit]))


#: A component is solid when its pixels fill at least ``SOLID_FILL`` of the rectangle its
#: second moments span (sides sqrt(12 var) along its axes): a bar or a disc fills about 1,
#: a curved or hollow stroke far less. Pens, pencils, coins and erasers lying on the page
#: are solid; so is a handwritten "1".
SOLID_FILL = 0.75
#: A solid component is an object lying beside the digit (``_objects``), not one of its
#: strokes, when it is at least ``OBJECT_THICKER`` times as wide as the digit's strokes
#: (mean horizontal run), shaped like a pen (``PEN_ELONGATION`` times longer than wide, or
#: more) or a coin or an eraser (``BLOB_ELONGATION`` or less), and apart from the digit's
#: main component by at least ``OBJECT_GAP`` of its longer side. A pen is 8-10 mm wide, a
#: ballpoint's stroke under 1 mm and a marker's 3-5 mm; the bold pieces of a marker or
#: dry-brush digit lie closer (with no gap, 8 dev brush pictures lost a piece).
OBJECT_THICKER = 2.0
PEN_ELONGATION = 8.0
BLOB_ELONGATION = 2.5
OBJECT_GAP = 0.1


def solid_shapes(area: np.ndarray, spread: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n,) pixel counts and (n, 3) second moments (``Components.spread``) -> (n,) bool:
    solid (``SOLID_FILL``), with the (n,) length and width (px) along the principal axes."""
    var_y, var_x, cov = spread.T
    mean = (var_y + var_x) / 2
    half_gap = np.sqrt(((var_y - var_x) / 2) ** 2 + cov ** 2)
    length = np.sqrt(12 * (mean + half_gap))
    width = np.maximum(np.sqrt(12 * np.maximum(mean - half_gap, 0.0)), 1.0)
    return area >= SOLID_FILL * length * width, length, width


def _objects(c: Components, candidates: np.ndarray, digit: int) -> np.ndarray:
    """(n,) bool: the ``candidates`` other than ``digit`` that are objects lying beside a
    digit whose main component is ``digit``: solid, much wider than its strokes and shaped
    like a pen or a coin (see the constants)."""
    solid, length, width = solid_shapes(c.area, c.spread)
    stroke = c.area[digit] / max(int(c.runs[digit]), 1)
    elongation = length / width
    shaped = (elongation >= PEN_ELONGATION) | (elongation <= BLOB_ELONGATION)
    size, gaps = _size_and_gaps(c, digit)
    objects = candidates & solid & shaped & (gaps >= OBJECT_GAP * size) & (width >= OBJECT_THICKER * stroke)
    objects[digit] = False
    return objects


def _seed(c: Components, eligible: np.ndarray, edge: np.ndarray, shape: tuple[int, int]) -> int:
    """The eligible component of the highest weight (mass x height) or, when that one is
    an object cut by the picture's edge or a neighbour of the one inside the picture with
    the highest weight (``_neighbours``: a bold "0" beside a "1"), that one if it has at
    least ``EDGE_SEED_SHARE`` of its weight.

    Height counts because a handwritten digit stands taller than the print around it: a
    caption's bold letters can outweigh a thin-pen digit, but not outstand it."""
    weight = c.mass * (c.bottom - c.top + 1.0)
    heaviest = np.where(eligible, weight, -1.0)
    inside = np.where(eligible & ~edge, weight, -1.0)
    best, best_inside = int(np.argmax(heaviest)), int(np.argmax(inside))
    if edge[best] and inside[best_inside] >= EDGE_SEED_SHARE * heaviest[best]:
        apart = _edge_objects(c, edge, best_inside) | _neighbours(c, shape, best_inside)
        if apart[best]:
            return best_inside
    return best


def _joining(c: Components, box, candidates: np.ndarray, reach: float) -> np.ndarray:
    """(n,) bool: the ``candidates`` that join the group whose box is ``box`` (top, left,
    bottom, right): within ``reach`` x its longest side, and within ``FAR_GAP`` x it
    unless at least ``PIECE_SIDE`` x it long themselves."""
    size = max(box[2] - box[0], box[3] - box[1]) + 1
    gaps = box_gaps(c, box)
    longest = np.maximum(c.bottom - c.top, c.right - c.left) + 1
    return (candidates & (gaps <= reach * size)
            & ((gaps <= FAR_GAP * size) | (longest >= PIECE_SIDE * size)))


def choose(c: Components, shape: tuple[int, int], min_mass_frac: float = 0.03,
           reach: float = 0.5, painter: Painter | None = None) -> np.ndarray:
    """(n,) bool: the components that make up the digit (all False if none qualifies).

    Seeds with the weightiest component (mass x height) that is not a ruled line or a
    frame (preferring one inside the picture, see ``_seed``), then repeatedly adds
    components with at least ``min_mass_frac`` of its mass whose bounding box lies within
    ``reach`` x (group's longest side) of the group's box, the far ones only when they are
    long enough to be a stroke (``_joining``); objects cut by the edge (``_edge_objects``)
    never join an inside seed, nor do objects lying beside it (``_objects``: a pen, a
    coin), its neighbours in a number (``_neighbours``) or a line drawn under it
    (``_underlines``).
    ``painter`` draws components, for the frames' outline test.
    """
    n = c.area.size
    candidates = c.area >= 2
    eligible = ~_rules(c, shape) & candidates
    if not eligible.any():
        # Only line-shaped strokes: a lone straight "1" is likelier than a blank ruled page.
        eligible = candidates
    chosen = np.zeros(n, bool)
    if not eligible.any():
        return chosen
    eligible = _without_bands(c, shape, eligible, painter)
    framed = eligible & ~_frames(c, eligible, painter)
    eligible = framed if framed.any() else eligible
    edge = at_edge(c, shape)
    seed = _seed(c, eligible, edge, shape)
    eligible &= ~(_objects(c, eligible, seed) | _neighbours(c, shape, seed) | _underlines(c, seed))
    eligible &= c.mass >= min_mass_frac * c.mass[seed]
    if edge.any() and not edge[seed]:  # nothing to keep out when nothing touches the edge
        eligible &= ~_edge_objects(c, edge, seed)
    chosen[seed] = True
    if eligible.sum() == 1:  # one blob: nothing to add
        return chosen
    box = [c.top[seed], c.left[seed], c.bottom[seed], c.right[seed]]
    while True:
        near = _joining(c, box, eligible & ~chosen, reach)
        if not near.any():
            return chosen
        chosen |= near
        box = [min(box[0], c.top[near].min()), min(box[1], c.left[near].min()),
               max(box[2], c.bottom[near].max()), max(box[3], c.right[near].max())]


def select_digit(labels: np.ndarray, n: int, weight: np.ndarray,
                 min_mass_frac: float = 0.03, reach: float = 0.5) -> np.ndarray:
    """Boolean (h, w) mask of the components of ``labels`` that make up the digit
    (see ``choose``). Empty if none."""
    if n == 0:
        return np.zeros(labels.shape, bool)
    chosen = choose(component_stats(labels, n, weight), labels.shape, min_mass_frac, reach,
                    lambda flags: np.concatenate(([False], flags))[labels])
    keep = np.zeros(n + 1, bool)
    keep[1:] = chosen
    return keep[labels]


def digit_runs(mask: np.ndarray, weight: np.ndarray) -> tuple[Runs, np.ndarray]:
    """Label boolean (h, w) ``mask`` and choose the digit's components by ``weight``.

    Returns (the runs, (m,) bool: run belongs to the digit). The fast path of
    ``label_components`` + ``select_digit``: no per-pixel label image is built.
    """
    runs = find_runs(mask)
    if runs.n == 0:
        return runs, np.zeros(0, bool)
    if runs.n == 1:
        # One blob (the usual clean upload): ``choose`` keeps it whenever it has two
        # pixels, ruled-line shape or not (its fallback), so its statistics are not needed.
        keep = int((runs.stop - runs.start).sum()) >= 2
        return runs, np.full(runs.row.size, keep)
    painter = lambda flags: paint(runs, flags[runs.label]) > 0  # noqa: E731
    return runs, choose(run_stats(runs, weight), mask.shape, painter=painter)[runs.label]
