"""Any image -> the (784,) float32 MNIST form; the one function used by training and serving.

Pipeline ("mnist" mode): decode (EXIF orientation, first frame, pixel cap) -> shrink to
a working copy -> flatten transparency -> paint over the surround of a photographed
sheet (a table around the paper) -> ink map (best-contrast channel, polarity from
the border, smooth background removed) -> threshold -> drop ruled lines -> connected
components -> keep the digit (largest blob and its neighbours) -> crop -> stroke-width
normalisation -> fit the longer side to 20 px -> centre of mass at (14, 14) in 28x28
-> ``prepare_mnist`` (the same final step applied to MNIST training data).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterable

import numpy as np
from PIL import Image

from digit_classifier.preprocessing import components, ink, mnist_form, sheet
from digit_classifier.preprocessing.loading import (MAX_PIXELS, MIN_SIDE, ImageError, ImageSource,
                                              composite, load_image, shrink, to_planes)

__all__ = ["PreprocessConfig", "ImageError", "load_image", "preprocess_image",
           "preprocess_images", "prepare_mnist", "trace_image", "Trace"]

MODES = ("mnist", "center")
#: Smallest ink contrast (fraction of full scale) that counts as a drawing.
MIN_CONTRAST = 0.06


@dataclass(frozen=True)
class PreprocessConfig:
    """How images become model input; saved in the model file.

    mode: "mnist" (bbox crop, 20 px fit, centre of mass in 28x28) or "center"
        (central square -> 28x28, polarity-corrected).
    deskew: moment-based deskew in the final step (``prepare_mnist``).
    work_size: longest side (px) of the working copy; bigger images are shrunk first.
    max_pixels: refuse images with more pixels than this (``too_large``).
    min_side: refuse images with a side shorter than this (``too_small``).
    auto_channel: pick the colour channel with the best ink contrast, not just luminance.
    remove_rules: erase ruled lines that run across the whole picture.
    stroke_norm: thicken/thin strokes far outside the MNIST stroke width.
    isolate_sheet: in a photo of a sheet with its surround (a table) in view, paint the
        surround over before looking for ink ("mnist" mode).
    """

    mode: str = "mnist"
    deskew: bool = False
    work_size: int = 512
    max_pixels: int = MAX_PIXELS
    min_side: int = MIN_SIDE
    auto_channel: bool = True
    remove_rules: bool = True
    stroke_norm: bool = True
    isolate_sheet: bool = True

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}; got {self.mode!r}")
        if not 28 <= self.work_size <= 4096:
            raise ValueError(f"work_size must be in [28, 4096]; got {self.work_size!r}")
        if self.min_side < 1 or self.max_pixels < self.min_side ** 2:
            raise ValueError(f"bad size limits: min_side={self.min_side!r}, "
                             f"max_pixels={self.max_pixels!r}")

    def to_dict(self) -> dict:
        """Plain dict of the fields (JSON/pickle safe)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessConfig":
        """Inverse of ``to_dict``; missing keys take defaults, unknown keys raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown PreprocessConfig keys: {sorted(unknown)}")
        return cls(**d)


@dataclass
class Trace:
    """Intermediate stages of one image, for docs and debugging (all float32 [0, 1])."""

    work: np.ndarray            # (h, w) luminance of the working copy (ink as given)
    ink: np.ndarray             # (h, w) ink map, ink bright
    mask: np.ndarray            # (h, w) bool, the selected digit pixels
    crop: np.ndarray            # (hc, wc) the cropped ink before fitting
    image28: np.ndarray         # (28, 28) the final image (after prepare_mnist)


def prepare_mnist(images: np.ndarray, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Shared final step: (n, 28, 28) uint8 (or float in [0, 1]) MNIST-form images ->
    (n, 784) float32 in [0, 1]. Without deskew this is exactly ``images / 255``."""
    return mnist_form.prepare_mnist(images, deskew_images=config.deskew)


def _contrast(channels: np.ndarray, grey: np.ndarray) -> tuple[float, tuple[float, float]]:
    """(ink contrast, grey (dark, bright) extremes): the largest spread between the
    extremes (``ink.ink_extremes``) of the grey image or, only when that is too small, of any
    channel."""
    lo, hi = ink.ink_extremes(grey)
    contrast = hi - lo
    if contrast < MIN_CONTRAST and channels.shape[0] == 3:
        spreads = [np.subtract(*ink.ink_extremes(ch)[::-1]) for ch in channels]
        contrast = max(contrast, float(max(spreads)))
    return contrast, (lo, hi)


def _opaque_channels(source: ImageSource, config: PreprocessConfig) -> np.ndarray:
    """Decode, shrink to the working size, flatten transparency -> (c, h, w) float32."""
    img = load_image(source, max_pixels=config.max_pixels, min_side=config.min_side,
                     draft_size=config.work_size)
    channels, alpha = to_planes(shrink(img, config.work_size))
    return composite(channels, alpha)


def _grey(channels: np.ndarray) -> np.ndarray:
    return channels[0] if channels.shape[0] == 1 else channels.mean(axis=0)


def _ink_from_channels(channels: np.ndarray, grey: np.ndarray,
                       config: PreprocessConfig) -> np.ndarray:
    """Opaque (c, h, w) channels and their (h, w) grey image -> (h, w) ink map; raises no_ink."""
    contrast, extremes = _contrast(channels, grey)
    if contrast < MIN_CONTRAST:
        raise ImageError("no_ink", f"the image is blank or nearly uniform (contrast "
                                   f"{contrast:.3f} < {MIN_CONTRAST}); draw a digit")
    return ink.ink_map(channels, auto_channel=config.auto_channel,
                       extremes=extremes if channels.shape[0] == 1 else None)


def _soft(flat: np.ndarray, thresholds: tuple[float, float] | None = None
          ) -> tuple[np.ndarray, np.ndarray]:
    """Ink map -> (mask over threshold, soft ink in [0, 1]: 0 under half the threshold,
    1 at the ink level). ``thresholds``: ``ink.ink_threshold(flat)`` if already known."""
    t, level = thresholds or ink.ink_threshold(flat)
    mask = flat > t
    soft = flat - np.float32(0.5 * t)
    soft *= np.float32(1.0 / (level - 0.5 * t))  # in place: one image-sized temporary
    np.maximum(soft, 0.0, out=soft)
    return mask, np.minimum(soft, 1.0, out=soft)


def _mnist_crop(flat: np.ndarray, config: PreprocessConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ink map -> (digit mask, cropped soft ink, cropped mask); raises no_ink."""
    thresholds = ink.ink_threshold(flat)
    found = None
    if config.remove_rules:
        erased = ink.erase_rules(flat, thresholds[0])
        if erased is not flat:  # lines were removed: the thresholds move too
            found = _digit_components(erased, ink.ink_threshold(erased))
    if found is None:
        # No rules, or the "rules" were the only ink (a straight "1" drawn edge to edge).
        found = _digit_components(flat, thresholds)
    if found is None:
        raise ImageError("no_ink", "no digit-like ink was found (only specks or lines)")
    soft, mask, runs, in_digit = found
    whole = bool(in_digit.all())
    # When every run is kept the digit is the whole mask: no need to select or repaint.
    rows, left, right = ((runs.row, runs.start, runs.stop) if whole else
                         (runs.row[in_digit], runs.start[in_digit], runs.stop[in_digit]))
    # Runs are in raster order, so the first and last kept runs give the rows.
    box = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(left.min()), int(right.max())))
    digit = mask if whole else components.paint(runs, in_digit) > 0
    crop_mask = digit[box]
    # Keep anti-aliased edges and rule crossings next to the chosen strokes (2 px).
    crop = soft[box] * mnist_form.dilate(crop_mask, 5)
    return digit, crop, crop_mask


def _digit_components(flat: np.ndarray, thresholds: tuple[float, float]):
    """(soft ink, ink mask, runs, run-in-digit flags) of ink map ``flat``, or None if no
    digit is found."""
    mask, soft = _soft(flat, thresholds)
    runs, in_digit = components.digit_runs(mask, soft)
    return (soft, mask, runs, in_digit) if in_digit.any() else None


def _center_crop(flat: np.ndarray) -> np.ndarray:
    """Ink map -> soft ink of the central square."""
    _, soft = _soft(flat)
    h, w = soft.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    return soft[top:top + s, left:left + s]


def _pipeline(source: ImageSource, config: PreprocessConfig):
    """Run the pipeline -> (grey, ink map, digit mask, crop, final (28, 28)); see ``Trace``.

    A photo of a sheet on a table is first read with the surround painted over
    (``sheet.isolate_sheet``); if no digit turns up that way, the picture as it is."""
    channels = _opaque_channels(source, config)
    grey = _grey(channels)
    if config.isolate_sheet and config.mode == "mnist":
        on_sheet = sheet.isolate_sheet(channels, grey)
        if on_sheet is not None:
            try:
                return _stages(on_sheet, _grey(on_sheet), config)
            except ImageError:
                pass  # the "sheet" held no digit (a bold stroke, a blank page): read it all
    return _stages(channels, grey, config)


def _stages(channels: np.ndarray, grey: np.ndarray, config: PreprocessConfig):
    """``_pipeline`` from the opaque (c, h, w) channels and their grey image on."""
    flat = _ink_from_channels(channels, grey, config)
    grey = grey.astype(np.float32, copy=False)
    if config.mode == "center":
        crop = _center_crop(flat)
        method = Image.Resampling.BOX if crop.shape[0] > 28 else Image.Resampling.LANCZOS
        img = Image.fromarray(crop, mode="F").resize((28, 28), method)
        image28 = np.clip(np.asarray(img, np.float32), 0.0, 1.0)
        mask = np.zeros_like(flat, dtype=bool)
    else:
        mask, crop, crop_mask = _mnist_crop(flat, config)
        if config.stroke_norm:
            crop = mnist_form.normalise_stroke(crop, crop_mask)
        image28 = mnist_form.place_by_mass(mnist_form.fit_box(crop))
    final = prepare_mnist(image28[None], config)[0].reshape(28, 28)
    return grey, flat, mask, crop, final


def trace_image(source: ImageSource, config: PreprocessConfig = PreprocessConfig()) -> Trace:
    """Run the pipeline on one image and keep every stage (see ``Trace``)."""
    grey, flat, mask, crop, final = _pipeline(source, config)
    return Trace(work=grey, ink=np.clip(flat, 0, 1), mask=mask, crop=crop, image28=final)


def preprocess_image(source: ImageSource, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """One image (bytes, path, file object or PIL image) -> (784,) float32 in [0, 1],
    ink bright on dark, in MNIST form. Raises ImageError (a ValueError) with ``.code``."""
    return _pipeline(source, config)[4].reshape(784)


def preprocess_images(sources: Iterable[ImageSource],
                      config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Many images -> (n, 784) float32; the first failing image raises its ImageError."""
    rows = [preprocess_image(s, config) for s in sources]
    return np.stack(rows) if rows else np.zeros((0, 784), np.float32)
