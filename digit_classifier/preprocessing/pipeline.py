"""Any image -> the (784,) float32 MNIST form: the coordinator that runs the stages in order.

The stages, each in its own module and each a function of the previous one's output:
``picture.open_picture`` (decode, EXIF, pixel cap, working size, transparency) ->
``sheet.views`` (a photographed sheet with its surround painted over, then the picture
as it is) -> ``ink_map.from_picture`` (best-contrast channel, polarity from the border,
smooth background removed) -> ``crops.digit_crop`` (threshold, ruled lines erased,
connected components, the digit's components kept, boxed) -> ``placing.place``
(stroke-width normalisation, longer side to 20 px, centre of mass at (14, 14), then
``prepare_mnist``, the same final step applied to MNIST training data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from digit_classifier.preprocessing import crops, ink_map, mnist_form, placing, sheet
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.loading import ImageError, ImageSource
from digit_classifier.preprocessing.picture import Picture, open_picture


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


def _read(view: Picture, config: PreprocessConfig) -> Trace:
    """One view through ink map -> crop -> MNIST form; raises ImageError ``no_ink``."""
    flat = ink_map.from_picture(view, config)
    crop = crops.digit_crop(flat, config)
    placed = placing.place(crop, config)
    return Trace(work=view.grey.astype(np.float32, copy=False), ink=flat, mask=crop.digit,
                 crop=placed.crop, image28=placed.image28)


def _run(source: ImageSource, config: PreprocessConfig) -> Trace:
    """The whole path of one image: load, then the first view in which a digit is found
    (a sheet isolated from its surround may hold none: a bold stroke, a blank page)."""
    picture = open_picture(source, config)
    *preferred, last = sheet.views(picture, config)
    for view in preferred:
        try:
            return _read(view, config)
        except ImageError:
            pass  # no digit on the isolated sheet: read the picture as it is
    return _read(last, config)


def trace_image(source: ImageSource, config: PreprocessConfig = PreprocessConfig()) -> Trace:
    """Run the pipeline on one image and keep every stage (see ``Trace``)."""
    trace = _run(source, config)
    trace.ink = np.clip(trace.ink, 0, 1)
    return trace


def preprocess_image(source: ImageSource, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """One image (bytes, path, file object or PIL image) -> (784,) float32 in [0, 1],
    ink bright on dark, in MNIST form. Raises ImageError (a ValueError) with ``.code``."""
    return _run(source, config).image28.reshape(784)


def preprocess_images(sources: Iterable[ImageSource],
                      config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Many images -> (n, 784) float32; the first failing image raises its ImageError."""
    rows = [preprocess_image(s, config) for s in sources]
    return np.stack(rows) if rows else np.zeros((0, 784), np.float32)
