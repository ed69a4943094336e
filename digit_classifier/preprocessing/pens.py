"""A pen lying beside the digit: when the rules' digit is a pen, the digit written beside it.

At real proportions a pen (8-10 mm wide, 14 cm long) outweighs a thin-pen digit (a 0.5-1 mm
stroke, a few centimetres tall) and its dark ink sets the ink threshold, so the digit is
mostly under it and the rules read the pen as a "1". Here the pen is erased from the ink
map and the digit looked for again in the rest, with a threshold of its own. What is found
counts only when it looks like a digit beside a pen (the constants below); the network
then settles between the two readings (``predictor.choose_candidate``).
"""

from __future__ import annotations

import math

import numpy as np

from digit_classifier.preprocessing import components, selection
from digit_classifier.preprocessing.mnist_form import dilate, stroke_width
from digit_classifier.preprocessing.threshold import ink_threshold, soft_ink

#: A pen is solid (``selection.SOLID_FILL``) and at least ``PEN_SHAPE`` times longer than
#: wide (a pen is 14-18 times; the frame often cuts it).
PEN_SHAPE = 4.0
#: What is found beside the pen is a digit when its longer side is at least ``DIGIT_SIDE``
#: times the pen's width, the pen is at least ``PEN_THICKER`` times as wide as its strokes
#: (``mnist_form.stroke_width``) and ``PEN_LONGER`` times as long as its longer side, it lies
#: apart from the pen by ``GAP`` of its longer side and the picture's edge does not cut it.
#: A dry-brush digit's bold piece, cut off by a hair, is at most 2.2 times the rest's size
#: (dev halves); the pens of a probe at real proportions 2.0-8.3 times the digit's.
DIGIT_SIDE = 1.8
PEN_THICKER = 2.0
PEN_LONGER = 2.5
GAP = 0.1


def pen_of(runs: components.Runs, in_digit: np.ndarray) -> tuple[np.ndarray, float, float] | None:
    """The rules' digit as runs (``selection.digit_runs``: the runs and the (m,) flags of the
    digit's) -> (mask of its largest component, that component's width and length in px)
    when that component is a pen (``PEN_SHAPE``), else None. A picture under
    ``selection.MIN_SCENE_SIDE`` a side is a crop of the digit alone: no pen is looked for.
    From the runs alone, so a digit that is no pen costs no labelling."""
    if min(runs.shape) < selection.MIN_SCENE_SIDE or not in_digit.any():
        return None
    areas = np.bincount(runs.label[in_digit], weights=(runs.stop - runs.start)[in_digit])
    keep = in_digit & (runs.label == int(np.argmax(areas)))
    solid, length, width = selection.solid_shapes(*components.runs_spread(runs, keep))
    if not solid[0] or length[0] < PEN_SHAPE * width[0]:
        return None
    return components.paint(runs, keep) > 0, float(width[0]), float(length[0])


def ink_beside(flat: np.ndarray, pen: tuple[np.ndarray, float, float]):
    """The ink beside ``pen`` (``pen_of``) in (h, w) ink map ``flat``: the pen and a band of
    its width round it erased (its edges and shadow), then the rules' selection again with
    a fresh threshold. Returns (soft ink, ink mask, runs, run-in-digit flags), as
    ``crops._digit_components``, or None when no ink is left; whether it is a digit beside
    a pen is ``looks_beside``'s to say."""
    mask, width, _ = pen
    erased = flat.copy()
    erased[dilate(mask, 2 * math.ceil(width) + 1)] = 0.0
    ink, soft = soft_ink(erased, ink_threshold(erased))
    runs, in_digit = selection.digit_runs(ink, soft)
    return (soft, ink, runs, in_digit) if in_digit.any() else None


def digit_sized(digit: np.ndarray, pen: tuple[np.ndarray, float, float]) -> bool:
    """Whether the (h, w) bool ink found beside ``pen`` (``ink_beside``) could be a digit:
    not cut by the picture's edge (with the pen gone the threshold can fall to the paper's
    shading, which runs to the edge) and at least ``DIGIT_SIDE`` pen widths long."""
    rows, cols = np.nonzero(digit)
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    h, w = digit.shape
    if top == 0 or left == 0 or bottom == h - 1 or right == w - 1:
        return False
    return max(bottom - top, right - left) + 1 >= DIGIT_SIDE * pen[1]


def looks_beside(digit: np.ndarray, pen: tuple[np.ndarray, float, float]) -> bool:
    """Whether the (h, w) bool ``digit`` found beside ``pen`` (``ink_beside``) is a digit
    beside a pen (``digit_sized``, ``PEN_THICKER``, ``PEN_LONGER``, ``GAP``)."""
    if not digit_sized(digit, pen):
        return False
    mask, width, length = pen
    rows, cols = np.nonzero(digit)
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    size = max(bottom - top, right - left) + 1
    stroke = stroke_width(digit[top:bottom + 1, left:right + 1])
    pen_rows, pen_cols = np.nonzero(mask)
    gap = max(pen_rows.min() - bottom, top - pen_rows.max(), pen_cols.min() - right, left - pen_cols.max(), 0)
    return width >= PEN_THICKER * stroke and length >= PEN_LONGER * size and gap >= GAP * size
