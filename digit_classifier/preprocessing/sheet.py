"""Photos of a sheet that does not fill the frame: keep the sheet, paint the surround over.

A phone photo of a note often shows the table around the paper (or the wall around a
blackboard). The preprocessing takes the background from the picture's border and looks
for the digit among the ink-coloured blobs, so there the table reads as background and
the sheet as one huge stroke. ``isolate_sheet`` finds the sheet, the largest blob of the
brightness class that does not dominate the border (the surround holds 60% of it, or just
its larger part when the surround is another material than the sheet, not a shadow),
provided it is big, solid, thick and shaped like a quadrilateral (a stroke is none of
these; a bold marker digit is the first three at most) and holds strokes (the ring of a
bold blocky "0" that passes the other tests holds one solid patch, its counter). It
paints everything outside the sheet, a thin strip along its edge included, with the
sheet's own paper, its shading carried on outwards. What is inside the sheet (the digit,
ruled lines, shading) is left as it is.
"""

from __future__ import annotations

import numpy as np

from digit_classifier.preprocessing import components, mnist_form
from digit_classifier.preprocessing.background import block_size, upsample_grid
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.picture import Picture
from digit_classifier.preprocessing.stats import border_values, otsu_threshold

#: Working copies with a shorter side under this (px) are crops, never scenes with a sheet.
MIN_SIDE = 64
#: At least this share of the border ring must be surround (the sheet's other class) ...
BORDER_SHARE = 0.6
#: ... or just its larger part, when the surround is another material: its colour,
#: brightness aside (r, g, b over their sum, medians), differs from the sheet's by at
#: least this much in a channel (a brown table along two sides of a yellow note), where
#: a shadow across a page keeps the paper's colour (a page half in shadow passed for a
#: sheet at a half share: scenes 98.9 -> 98.3%).
MATERIAL_SHIFT = 0.05
#: The sheet covers at least this fraction of the picture ...
MIN_AREA = 0.2
#: ... its bounding box spans at least this fraction of the picture's width and height ...
MIN_EXTENT = 0.35
#: ... it fills at least this fraction of its bounding box (a tilted sheet fills ~0.6+) ...
MIN_FILL = 0.6
#: ... and it is thick: 2 * area / perimeter at least this fraction of the box's shorter
#: side (a rectangle with a digit in it: ~0.3; a marker stroke: under 0.1).
MIN_THICKNESS = 0.15
#: ... and, with its holes filled, it covers at least this share of the tightest rotated
#: rectangle round it (``rect_fill``): a sheet is a quadrilateral, 0.95-1.0 even tilted
#: or in perspective, while a bold marker digit, which passes the tests above on white
#: paper, is at most an ellipse (pi / 4 = 0.785). Dev halves: 0.61-0.82 for the 33
#: digits taken for a sheet; 0.8, 0.85 and 0.9 give the same answers (docs/preprocessing.md).
MIN_RECT_FILL = 0.85
#: Rotations tried for the tightest rectangle (degrees; a rectangle repeats every 90).
RECT_ANGLES = np.radians(np.arange(0.0, 90.0, 2.0))
#: The strip along the sheet's edge painted over too (fraction of the shorter side):
#: the edge's shadow and anti-aliasing would otherwise read as a long faint stroke.
EDGE_STRIP = 0.02
#: What the sheet holds (the other brightness class inside it: the digit, ruled lines) is
#: strokes: their mean width (``mnist_form.stroke_width``) is under this fraction of the
#: sheet's shorter side. Scenes (bench/realistic_set.py): at most 0.124, a bold "1" on a
#: small card. The counter of a blocky "0" filling the frame (scikit-learn's 8x8 digits
#: scaled up), whose ring passes the tests above as a dark sheet: 0.19-0.34.
MAX_HELD_WIDTH = 0.16
#: A block's paper colour (``paper_field``) is measured when at least this share of the
#: block is paper; other blocks take it from their neighbours.
PAPER_KNOWN = 0.1


def isolate_sheet(channels: np.ndarray, grey: np.ndarray) -> np.ndarray | None:
    """Opaque (c, h, w) float ``channels`` with grey image (h, w) ``grey`` -> (c, h, w)
    channels with everything outside the sheet painted with the sheet's own paper
    (``paper_field``), or None when the picture does not show a sheet with a surround
    around it."""
    h, w = grey.shape
    if min(h, w) < MIN_SIDE:
        return None
    # The threshold and the first two tests need only a coarse copy (~128 px a side).
    step = max(1, max(h, w) // 128)
    coarse = grey[::step, ::step]
    threshold = otsu_threshold(np.clip(coarse, 0.0, 1.0))
    coarse_bright = coarse > threshold
    bright_border = float(border_values(coarse_bright).mean())
    surround_is_bright = bright_border >= 0.5
    split_border = max(bright_border, 1.0 - bright_border) < BORDER_SHARE
    if split_border and channels.shape[0] != 3:  # no colour to tell a table from a shadow
        return None
    sheet_share = 1.0 - coarse_bright.mean() if surround_is_bright else coarse_bright.mean()
    if sheet_share < MIN_AREA:  # the usual digit photo stops here
        return None
    bright = grey > threshold
    sheet_class = ~bright if surround_is_bright else bright
    blob = _largest_solid_blob(sheet_class)
    if blob is None:
        return None
    outside = components.outside(blob)
    on_sheet = ~outside  # the sheet with its holes filled
    if rect_fill(on_sheet) < MIN_RECT_FILL or not _holds_strokes(on_sheet & ~sheet_class, on_sheet):
        return None
    if split_border and not _other_material(channels, blob, outside):
        return None
    outside = mnist_form.dilate(outside, 2 * max(1, round(EDGE_STRIP * min(h, w))) + 1)
    if outside.all():
        return None
    paper = blob & ~outside
    out = channels.copy()
    out[:, outside] = paper_field(channels, paper if paper.any() else blob)[:, outside]
    return out


def paper_field(channels: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """Opaque (c, h, w) float ``channels`` and (h, w) bool ``paper`` (the sheet's own
    brightness class, ink and the painted strip left out) -> (c, h, w) float32: the paper's
    mean colour in each block of ``background.block_size``, carried into blocks with less
    than ``PAPER_KNOWN`` of paper from their neighbours (``_fill_from_neighbours``),
    bilinear in between.

    The surround painted so continues the sheet's own shading: painted in one median
    colour it was brighter than a vignetted sheet's darker edges, and the background's
    opening, taking its minimum over that step, left the edges' shade as faint ink (a
    wedge along the edge read as the digit, probe in docs/preprocessing.md)."""
    c, h, w = channels.shape
    bs = block_size(h, w)
    gh, gw = -(-h // bs), -(-w // bs)
    mask = np.zeros((gh * bs, gw * bs), np.float32)
    mask[:h, :w] = paper
    weighted = np.zeros((c, gh * bs, gw * bs), np.float32)
    np.multiply(channels, paper, out=weighted[:, :h, :w])
    count = mask.reshape(gh, bs, gw, bs).sum(axis=(1, 3))
    sums = weighted.reshape(c, gh, bs, gw, bs).sum(axis=(2, 4))
    known = count >= PAPER_KNOWN * bs * bs
    if not known.any():  # paper only in slivers: take every block that has some
        known = count > 0
    grid = _fill_from_neighbours(sums / np.maximum(count, 1.0), known)
    return np.stack([upsample_grid(g, bs, h, w) for g in grid])


def _fill_from_neighbours(grid: np.ndarray, known: np.ndarray) -> np.ndarray:
    """(c, gh, gw) ``grid`` whose (gh, gw) ``known`` cells hold values -> a copy where each
    other cell holds the mean of its known 4-neighbours, filled ring by ring outwards.
    At least one cell must be known."""
    grid = np.where(known, grid, 0.0).astype(np.float32)
    known = known.copy()
    while not known.all():
        values = np.pad(grid * known, ((0, 0), (1, 1), (1, 1)))
        seen = np.pad(known, 1).astype(np.float32)
        total = values[:, :-2, 1:-1] + values[:, 2:, 1:-1] + values[:, 1:-1, :-2] + values[:, 1:-1, 2:]
        count = seen[:-2, 1:-1] + seen[2:, 1:-1] + seen[1:-1, :-2] + seen[1:-1, 2:]
        ring = ~known & (count > 0)
        grid = np.where(ring, total / np.maximum(count, 1.0), grid)
        known |= ring
    return grid


def _largest_solid_blob(mask: np.ndarray) -> np.ndarray | None:
    """The largest 8-connected component of boolean (h, w) ``mask`` as a mask, if it is
    big, spread out, solid and thick enough to be a sheet (see the module constants)."""
    h, w = mask.shape
    runs = components.find_runs(mask)
    if runs.n == 0:
        return None
    stats = components.run_stats(runs, mask)
    i = int(stats.area.argmax())
    box_h = int(stats.bottom[i] - stats.top[i] + 1)
    box_w = int(stats.right[i] - stats.left[i] + 1)
    area = int(stats.area[i])
    if (area < MIN_AREA * h * w or box_h < MIN_EXTENT * h or box_w < MIN_EXTENT * w
            or area < MIN_FILL * box_h * box_w):
        return None
    blob = components.paint(runs, runs.label == i) > 0
    if mnist_form.stroke_width(blob) < MIN_THICKNESS * min(box_h, box_w):
        return None
    return blob


def _holds_strokes(held: np.ndarray, sheet: np.ndarray) -> bool:
    """Whether boolean (h, w) ``held``, what lies on the boolean (h, w) ``sheet`` (holes
    filled), is strokes: not empty (a sheet with nothing on it holds no digit to read) and
    thinner than ``MAX_HELD_WIDTH`` of the sheet's shorter side."""
    if not held.any():
        return False
    rows, cols = components.bounding_box(sheet)  # the sheet holds the blob: never empty
    side = min(rows.stop - rows.start, cols.stop - cols.start)
    return mnist_form.stroke_width(held) < MAX_HELD_WIDTH * side


def _other_material(channels: np.ndarray, sheet: np.ndarray, surround: np.ndarray) -> bool:
    """Whether the boolean (h, w) ``surround`` of RGB (3, h, w) ``channels`` differs in
    colour, brightness aside, from the ``sheet`` by ``MATERIAL_SHIFT`` (every 4th pixel
    each way is enough for a median)."""
    def colour(mask: np.ndarray) -> np.ndarray:
        values = channels[:, ::4, ::4][:, mask[::4, ::4]]
        if values.shape[1] == 0:
            return np.full(3, 1.0 / 3.0)
        median = np.median(values, axis=1)
        return median / max(float(median.sum()), 1e-6)
    return float(np.abs(colour(sheet) - colour(surround)).max()) >= MATERIAL_SHIFT


def rect_fill(mask: np.ndarray) -> float:
    """Share of the tightest rectangle round boolean (h, w) ``mask``, over rotations of
    ``RECT_ANGLES``, that its pixels cover, in (0, 1]: 1 for a rectangle at one of those
    angles, pi / 4 for an ellipse, less for a digit's shape; 0 for an empty mask."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return 0.0
    # A projection's extremes lie at the rows' end pixels: 2 points a row, not every pixel.
    first = np.argmax(mask[rows], axis=1)
    last = mask.shape[1] - 1 - np.argmax(mask[rows, ::-1], axis=1)
    y = np.concatenate([rows, rows]).astype(np.float64)[:, None]
    x = np.concatenate([first, last]).astype(np.float64)[:, None]
    cos, sin = np.cos(RECT_ANGLES), np.sin(RECT_ANGLES)
    along = y * cos + x * sin                 # (2 rows, angles): the points in each rotated frame
    across = x * cos - y * sin
    sides = ((along.max(axis=0) - along.min(axis=0) + 1)
             * (across.max(axis=0) - across.min(axis=0) + 1))
    return min(1.0, float(np.count_nonzero(mask)) / float(sides.min()))


def views(picture: Picture, config: PreprocessConfig) -> list[Picture]:
    """Stage: a Picture -> the views to read, in order of preference: the sheet with its
    surround painted over (when ``config.isolate_sheet``, "mnist" mode, and the picture
    shows one), then the picture as it is."""
    if config.isolate_sheet and config.mode == "mnist":
        on_sheet = isolate_sheet(picture.channels, picture.grey)
        if on_sheet is not None:
            return [Picture.of(on_sheet), picture]
    return [picture]
