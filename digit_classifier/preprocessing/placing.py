"""Stage: candidate crops -> the (28, 28) MNIST form the network reads (stroke width, 20 px box,
centre of mass, final step), plus the "filled" hypothesis of a textured plain crop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from digit_classifier.preprocessing import mnist_form
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.crops import Crop

#: A fillable plain crop is "textured" (dots, hatching, an outline's counter, dry-brush
#: gaps) when closing its 2 px gaps at the 20 px scale (``mnist_form.close_gaps``) adds
#: at least this share of ink. Dev halves, 10th-90th percentile (docs/preprocessing.md):
#: clean strokes gain 1-11%, brush digits 6-24%, outlined and pattern-filled 9-66%.
FILL_GAIN = 0.1
#: A plain crop whose 20 px image has at least this share of solid ink (``mnist_form.
#: solid_share``: ink pixels with ink all round) is a broad marker's stroke, not a texture:
#: closing it would only fill its own small counters (a bold "8" read as a "0"). Dev halves
#: (docs/preprocessing.md): dotted, hatched, outlined and dry-brush crops are mostly under
#: 0.3, the boldest marker crops above 0.4.
SOLID_SHARE = 0.4


@dataclass(frozen=True)
class Placed:
    """``crop`` (hc, wc) float32: the crop as placed (strokes normalised); ``image28``
    (28, 28) float32 in [0, 1]: the final image, after ``prepare_mnist``; ``fitted``
    (h', w') float32: the crop scaled into the 20 px box ("mnist" mode only)."""

    crop: np.ndarray
    image28: np.ndarray
    fitted: np.ndarray | None = None


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
        return Placed(pixels, mnist_form.finish_one(image28, config.deskew))
    if config.stroke_norm and crop.normalise:
        pixels = mnist_form.normalise_stroke(pixels, crop.mask)
    fitted = mnist_form.fit_box(pixels)
    return Placed(pixels, _final(fitted, config), fitted)


def filled(plain: Crop, placed: Placed, config: PreprocessConfig) -> tuple[Crop, Placed] | None:
    """The "filled" hypothesis of a ``fillable`` plain crop: its 20 px image (``placed``)
    with its gaps closed, as (Crop, Placed); None when the crop is not fillable or the
    closing adds less than ``FILL_GAIN`` of ink (clean strokes, which the other crops
    already read), or the strokes are solid (``SOLID_SHARE``: nothing to close but counters)."""
    if not plain.fillable or placed.fitted is None:
        return None
    closed = mnist_form.close_gaps(placed.fitted)
    if float(closed.sum()) < (1.0 + FILL_GAIN) * float(placed.fitted.sum()):
        return None
    if mnist_form.solid_share(placed.fitted) >= SOLID_SHARE:   # after the gain: clean strokes skip it
        return None
    crop = Crop(plain.digit, closed, closed > 0.5, "filled", plain.source, normalise=False)
    return crop, Placed(closed, _final(closed, config), closed)


def place_all(crops: list[Crop], config: PreprocessConfig) -> list[tuple[Crop, Placed]]:
    """Stage: candidate crops -> (crop, Placed) for each, in the same order (see ``place``),
    then the "filled" hypothesis when it applies (``filled``)."""
    out = [(crop, place(crop, config)) for crop in crops]
    for crop, placed in list(out):
        pair = filled(crop, placed, config)
        if pair is not None:
            out.append(pair)
    return out


def _final(fitted: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """(h', w') image in the 20 px box -> the (28, 28) input: centre of mass, final step."""
    return mnist_form.finish_one(mnist_form.place_by_mass(fitted), config.deskew)
