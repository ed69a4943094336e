"""Stage: ink maps -> the candidate crops of the digit ("rules": ruled lines erased, the digit's
components chosen; "plain": the bounding box of the picture's grey ink, ``plain``), and what
the winner rule and the "filled" hypothesis (``placing``) need to know of the two."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from digit_classifier.preprocessing import components, pens, plain, rules, selection
from digit_classifier.preprocessing.components import bounding_box
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.ink_map import InkMap
from digit_classifier.preprocessing.loading import ImageError
from digit_classifier.preprocessing.mnist_form import dilate
from digit_classifier.preprocessing.plain import BOX_LEVEL
from digit_classifier.preprocessing.threshold import ink_threshold, soft_ink

#: The rules' crop and the plain crop "read the same place" when the rules' box covers at
#: least this share of the plain box's area (``judge_plain`` sets ``Crop.same_place``):
#: their overlap, not their areas alone, so a small plain box elsewhere (a 1 px sliver
#: along a table's edge, when the table on two sides turned the plain polarity) is not
#: the same place.
SAME_PLACE = 0.7
#: The plain crop is "stained" when stray grey (``stray_grey``) makes at least this share
#: of its ink: then the rules' crop is the preferred reading even in the same place.
#: Measured on the dev halves and the scene set (docs/preprocessing.md).
STRAY_SHARE = 0.1
#: Stray grey (``stray_grey``): plain-crop levels under ``plain.BOX_LEVEL`` lying more than
#: ``STRAY_DISTANCE`` px from every pixel of the rules' digit. A plain box whose shorter
#: side is under ``4 * STRAY_DISTANCE`` has no room for a shadow apart from the strokes.
STRAY_DISTANCE = 8


@dataclass(frozen=True)
class Crop:
    """A crop of an ink map: ``digit`` (h, w) bool, the selected pixels in the whole ink
    map; ``pixels`` (hc, wc) float32 soft ink in [0, 1]; ``mask`` (hc, wc) bool, the
    selected pixels inside the crop (None in "center" mode). ``name`` names the
    hypothesis ("rules", "plain", "filled", "beside", "center"), ``source`` the ink map it was cut
    from, and ``normalise`` whether the stroke width may be normalised before placing;
    ``lines_erased`` whether the rules erased ruled lines to find it. Plain crop only,
    set by ``judge_plain``: ``same_place``, whether the rules read the same place;
    ``stray_grey``, the share of its ink that is stray grey (``stray_grey``); and
    ``fillable``, whether the "filled" hypothesis applies. ``box``: where
    ``pixels`` lie in the ink map (rows, cols), when known. Rules' crop only, set by
    ``beside_pen``: ``pen_beside``, whether its digit is a pen with a digit's worth of ink
    beside it. Rules' crops: ``pen``, the digit's largest component when that is a pen
    (``pens.pen_of``: its mask, width and length)."""

    digit: np.ndarray
    pixels: np.ndarray
    mask: np.ndarray | None
    name: str = "rules"
    source: InkMap | None = None
    normalise: bool = True
    lines_erased: bool = False
    stray_grey: float = 0.0
    fillable: bool = False
    same_place: bool = False
    box: tuple[slice, slice] | None = None
    pen_beside: bool = False
    pen: tuple[np.ndarray, float, float] | None = None


def candidates(maps: list[InkMap], config: PreprocessConfig) -> list[Crop]:
    """Stage: ink maps (``ink_map.from_views``, the picture as it is last) -> candidate crops.

    "rules": the first map in which the rules find a digit (``digit_crop``); "plain": the
    bounding box of the grey ink of the picture as it is (``plain_crop``), present whenever
    the picture has ink, judged against the rules' crop (``judge_plain``); "beside": when
    the rules' digit is a pen, the digit beside it (``beside_pen``) ("center" mode: the one
    "center" crop). Raises ImageError ``no_ink`` when no pixel of the picture
    clears the ink threshold (``threshold.ink_threshold``: noise only)."""
    whole = maps[-1]
    if config.mode == "center":
        return [_center_crop(whole)]
    thresholds = ink_threshold(whole.flat)  # shared by the rules and the plain crop
    whole_ink = soft_ink(whole.flat, thresholds)
    found = []
    for ink in maps:
        try:
            found.append(digit_crop(ink.flat, config, ink, (thresholds, whole_ink) if ink is whole else None))
            break
        except ImageError:
            pass  # no digit on an isolated sheet (a bold stroke, a blank page): read on
    if whole_ink[0].any():  # the threshold saw ink, not noise only
        found.extend(crop for crop in [plain_crop(whole)] if crop is not None)
    if [crop.name for crop in found] == ["rules", "plain"]:
        found[1] = judge_plain(*found)
    if found and found[0].name == "rules":
        found[0], beside = beside_pen(found[0])
        found.extend(crop for crop in [beside] if crop is not None)
    if not found:
        raise ImageError("no_ink", "no ink was found: the image is blank or noise only")
    return found


def beside_pen(rules_crop: Crop) -> tuple[Crop, Crop | None]:
    """(the rules' Crop, the "beside" Crop or None). When the rules' digit is a pen lying
    on the page (``Crop.pen``) with ink of a digit's size beside it (``pens.ink_beside``,
    ``pens.digit_sized``), the rules' Crop is marked ``pen_beside``, and the "beside" Crop
    is that ink when it looks like a digit written beside the pen (``pens.looks_beside``)."""
    pen = rules_crop.pen
    found = None if pen is None else pens.ink_beside(rules_crop.source.flat, pen)
    if found is None:
        return rules_crop, None
    beside = _box(*found, rules_crop.source, False)
    if not pens.digit_sized(beside.digit, pen):
        return rules_crop, None
    marked = replace(rules_crop, pen_beside=True)
    return marked, (replace(beside, name="beside") if pens.looks_beside(beside.digit, pen) else None)


def plain_crop(ink: InkMap) -> Crop | None:
    """The "plain" Crop: the bounding box of ``plain.ink_levels`` of the grey picture of
    ``ink`` (strokes not normalised, grey ramp kept), or None when nothing is in the box."""
    levels = plain.ink_levels(ink.view.grey)
    if levels is None:
        return None
    digit = levels > BOX_LEVEL   # nothing lies above the level outside its own bounding box
    found = bounding_box(digit)
    if found is None:
        return None
    return Crop(digit, levels[found], digit[found], "plain", ink, normalise=False, box=found)


def _area(box: tuple[slice, slice] | None) -> int:
    """Area (px) of a (rows, cols) box; 0 for None."""
    return 0 if box is None else (box[0].stop - box[0].start) * (box[1].stop - box[1].start)


def _crop_box(crop: Crop) -> tuple[slice, slice] | None:
    """The (rows, cols) box of ``crop`` in its ink map (of ``crop.digit`` when not set)."""
    return crop.box or bounding_box(crop.digit)


def _overlap(a: tuple[slice, slice] | None, b: tuple[slice, slice] | None) -> tuple[slice, slice] | None:
    """The (rows, cols) box where boxes ``a`` and ``b`` overlap, None when they do not."""
    if a is None or b is None:
        return None
    rows = slice(max(a[0].start, b[0].start), min(a[0].stop, b[0].stop))
    cols = slice(max(a[1].start, b[1].start), min(a[1].stop, b[1].stop))
    return (rows, cols) if rows.start < rows.stop and cols.start < cols.stop else None


def stray_grey(rules_crop: Crop, plain: Crop) -> float:
    """Share of the plain crop's ink that is faint (under ``plain.BOX_LEVEL``) and more than
    ``STRAY_DISTANCE`` px from the rules' digit, in [0, 1]: a shadow, uneven light or
    paper texture that the plain crop keeps and the rules' flattened map does not.
    0 when the two crops come from different views (an isolated sheet) or the plain box
    is under ``4 * STRAY_DISTANCE`` a side."""
    if min(plain.pixels.shape) < 4 * STRAY_DISTANCE or rules_crop.digit.shape != plain.digit.shape:
        return 0.0  # no room for a shadow apart from the strokes, or another view
    box = _crop_box(plain)
    if box is None:
        return 0.0
    total = float(plain.pixels.sum())
    faint = np.where(plain.pixels < BOX_LEVEL, plain.pixels, 0.0)
    if total <= 0 or float(faint.sum()) < STRAY_SHARE * total:
        return 0.0  # too little faint ink to matter, wherever it lies
    near = _near(rules_crop.digit, box, STRAY_DISTANCE)
    return float(faint[~near].sum()) / total


def _near(mask: np.ndarray, box: tuple[slice, slice], r: int) -> np.ndarray:
    """(h, w) bool ``mask`` -> bool array of ``box``'s shape: True where a True pixel of
    ``mask`` lies within ``r`` px (a (2r + 1)-px square): ``dilate`` over the box alone."""
    rows, cols = box
    h, w = mask.shape
    top, left = max(rows.start - r, 0), max(cols.start - r, 0)
    bottom, right = min(rows.stop + r, h), min(cols.stop + r, w)
    # The box with r px round it, False outside the picture.
    part = np.zeros((rows.stop - rows.start + 2 * r, cols.stop - cols.start + 2 * r), bool)
    y, x = top - (rows.start - r), left - (cols.start - r)
    part[y:y + bottom - top, x:x + right - left] = mask[top:bottom, left:right]
    return dilate(part, 2 * r + 1)[r:-r, r:-r]


def judge_plain(rules_crop: Crop, plain: Crop) -> Crop:
    """The plain Crop with ``same_place``, ``stray_grey`` and ``fillable`` set against the
    rules' crop.

    Same place: the rules' box covers at least ``SAME_PLACE`` of the plain box's area.
    The other two need it; elsewhere the winner rule prefers the rules anyway and stray
    grey is left at 0.
    Fillable: besides, the rules erased no ruled lines (closing the plain crop's gaps
    would weld them back on), so a hollow or dotted plain crop may be read filled in
    (``placing``)."""
    plain_box = _crop_box(plain)
    if _area(_overlap(_crop_box(rules_crop), plain_box)) < SAME_PLACE * _area(plain_box):
        return plain
    return replace(plain, same_place=True, stray_grey=stray_grey(rules_crop, plain),
                   fillable=not rules_crop.lines_erased)


def digit_crop(flat: np.ndarray, config: PreprocessConfig, source: InkMap | None = None,
               known: tuple | None = None) -> Crop:
    """(h, w) ink map -> the rules' Crop of the digit ("rules"). ``known``:
    ``(ink_threshold(flat), soft_ink(flat))`` when the caller already has them.

    Raises ImageError ``no_ink`` when no digit-like component is found."""
    thresholds, mask_soft = known or (ink_threshold(flat), None)
    found = None
    if config.remove_rules:
        erased = rules.erase_rules(flat, thresholds[0])
        if erased is not flat:  # lines were removed: the thresholds move too
            found = _digit_components(*soft_ink(erased, ink_threshold(erased)))
    lines_erased = found is not None
    if found is None:
        # No rules, or the "rules" were the only ink (a straight "1" drawn edge to edge).
        found = _digit_components(*(mask_soft or soft_ink(flat, thresholds)))
    if found is None:
        raise ImageError("no_ink", "no digit-like ink was found (only specks or lines)")
    crop = _box(*found, source, lines_erased)
    if config.remove_rules and rules.framed(crop.mask):
        crop = _unframed(flat, crop, thresholds[0]) or crop
    return crop


def _unframed(flat: np.ndarray, crop: Crop, threshold: float) -> Crop | None:
    """The rules' Crop found again once the box framing ``crop`` is erased: inside the
    crop's box the box's sides run edge to edge, so ``erase_rules`` takes them as ruled
    lines there. None when nothing was erased or nothing is left."""
    inside = flat[crop.box]
    erased_inside = rules.erase_rules(inside, threshold)
    if erased_inside is inside:
        return None
    erased = flat.copy()
    erased[crop.box] = erased_inside
    found = _digit_components(*soft_ink(erased, ink_threshold(erased)))
    return None if found is None else _box(*found, crop.source, True)


def _box(soft: np.ndarray, mask: np.ndarray, runs: components.Runs, in_digit: np.ndarray,
         source: InkMap | None, lines_erased: bool) -> Crop:
    """The Crop round the runs flagged ``in_digit`` (see ``_digit_components``)."""
    whole = bool(in_digit.all())
    # When every run is kept the digit is the whole mask: no need to select or repaint.
    rows, left, right = ((runs.row, runs.start, runs.stop) if whole else
                         (runs.row[in_digit], runs.start[in_digit], runs.stop[in_digit]))
    # Runs are in raster order, so the first and last kept runs give the rows.
    box = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(left.min()), int(right.max())))
    digit = mask if whole else components.paint(runs, in_digit) > 0
    crop_mask = digit[box]
    # Keep anti-aliased edges and rule crossings next to the chosen strokes (2 px).
    return Crop(digit, soft[box] * dilate(crop_mask, 5), crop_mask, "rules", source,
                lines_erased=lines_erased, box=box, pen=pens.pen_of(runs, in_digit))


def _digit_components(mask: np.ndarray, soft: np.ndarray):
    """(soft ink, ink mask, runs, run-in-digit flags) of an ink map's (mask, soft ink)
    (``soft_ink``), or None if no digit is found."""
    runs, in_digit = selection.digit_runs(mask, soft)
    return (soft, mask, runs, in_digit) if in_digit.any() else None


def _center_crop(ink: InkMap) -> Crop:
    """Ink map -> the Crop of the soft ink's central square (nothing selected)."""
    _, soft = soft_ink(ink.flat)
    h, w = soft.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return Crop(np.zeros_like(ink.flat, dtype=bool), soft[top:top + s, left:left + s], None,
                "center", ink)
