"""Stage: ink map -> the digit's crop (ruled lines erased, the digit's components chosen, boxed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_classifier.preprocessing import components, rules, selection
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.loading import ImageError
from digit_classifier.preprocessing.mnist_form import dilate
from digit_classifier.preprocessing.threshold import ink_threshold, soft_ink


@dataclass(frozen=True)
class Crop:
    """A crop of the ink map: ``digit`` (h, w) bool, the selected pixels in the whole ink
    map; ``pixels`` (hc, wc) float32 soft ink in [0, 1]; ``mask`` (hc, wc) bool, the
    selected pixels inside the crop (None in "center" mode)."""

    digit: np.ndarray
    pixels: np.ndarray
    mask: np.ndarray | None


def digit_crop(flat: np.ndarray, config: PreprocessConfig) -> Crop:
    """Stage: (h, w) ink map -> its Crop ("center" mode: the central square, unselected).

    Raises ImageError ``no_ink`` when no digit-like component is found."""
    if config.mode == "center":
        return _center_crop(flat)
    thresholds = ink_threshold(flat)
    found = None
    if config.remove_rules:
        erased = rules.erase_rules(flat, thresholds[0])
        if erased is not flat:  # lines were removed: the thresholds move too
            found = _digit_components(erased, ink_threshold(erased))
    if found is None:
        # No rules, or the "rules" were the only ink (a straight "1" drawn edge to edge).
        found = _digit_components(flat, thresholds)
    if found is None:
        raise ImageError("no_ink", "no digit-like ink was found (only specks or lines)")
    return _box(*found)


def _box(soft: np.ndarray, mask: np.ndarray, runs: components.Runs, in_digit: np.ndarray) -> Crop:
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
    return Crop(digit, soft[box] * dilate(crop_mask, 5), crop_mask)


def _digit_components(flat: np.ndarray, thresholds: tuple[float, float]):
    """(soft ink, ink mask, runs, run-in-digit flags) of ink map ``flat``, or None if no
    digit is found."""
    mask, soft = soft_ink(flat, thresholds)
    runs, in_digit = selection.digit_runs(mask, soft)
    return (soft, mask, runs, in_digit) if in_digit.any() else None


def _center_crop(flat: np.ndarray) -> Crop:
    """Ink map -> the Crop of the soft ink's central square (nothing selected)."""
    _, soft = soft_ink(flat)
    h, w = soft.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return Crop(np.zeros_like(flat, dtype=bool), soft[top:top + s, left:left + s], None)
