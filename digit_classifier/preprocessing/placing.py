"""Stage: candidate crops -> the (28, 28) MNIST form the network reads (stroke width, 20 px box, centre of mass, final step)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digit_classifier.preprocessing import mnist_form
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.crops import Crop


@dataclass(frozen=True)
class Placed:
    """``crop`` (hc, wc) float32: the crop as placed (strokes normalised); ``image28``
    (28, 28) float32 in [0, 1]: the final image, after ``prepare_mnist``."""

    crop: np.ndarray
    image28: np.ndarray


def place(crop: Crop, config: PreprocessConfig) -> Placed:
    """One Crop -> Placed. "mnist" mode: stroke-width normalisation (``stroke_norm``, and
    the crop's ``normalise``), longer side to 20 px, centre of mass at (14, 14); "center"
    mode: the square resized to 28x28. Both end with ``mnist_form.finish_one``,
    ``prepare_mnist``'s step for one image (deskew as ``config.deskew``)."""
    pixels = crop.pixels
    if config.mode == "center":
        method = Image.Resampling.BOX if pixels.shape[0] > 28 else Image.Resampling.LANCZOS
        img = Image.fromarray(pixels, mode="F").resize((28, 28), method)
        image28 = np.clip(np.asarray(img, np.float32), 0.0, 1.0)
    else:
        if config.stroke_norm and crop.normalise:
            pixels = mnist_form.normalise_stroke(pixels, crop.mask)
        image28 = mnist_form.place_by_mass(mnist_form.fit_box(pixels))
    return Placed(pixels, mnist_form.finish_one(image28, config.deskew))


def place_all(crops: list[Crop], config: PreprocessConfig) -> list[Placed]:
    """Stage: candidate crops -> their Placed forms, in the same order (see ``place``)."""
    return [place(crop, config) for crop in crops]
