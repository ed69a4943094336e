"""Any image -> candidate (784,) float32 rows in MNIST form: the coordinator that runs the stages in order.

The stages, each in its own module and each a function of the previous one's output:
``picture.open_picture`` (decode, EXIF, pixel cap, working size, transparency) ->
``sheet.views`` (a photographed sheet with its surround painted over, then the picture
as it is) -> ``ink_map.from_views`` (best-contrast channel, polarity from the border,
smooth background removed) -> ``crops.candidates`` (the rules' crop: ruled lines
erased, the digit's components kept; and the plain bounding box of all the ink) ->
``placing.place_all`` (stroke-width normalisation, longer side to 20 px, centre of mass
at (14, 14), then ``prepare_mnist``, the final step applied to MNIST training data; and
the "filled" hypothesis: a textured plain crop with its small gaps closed).
The choice among the candidates is the network's (``Predictor``); preprocessing stays
model-free, and its own first choice is the first candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from digit_classifier.preprocessing import crops, ink_map, mnist_form, placing, sheet
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.loading import ImageSource
from digit_classifier.preprocessing.picture import open_picture


@dataclass
class Trace:
    """Intermediate stages of one candidate of one image, for docs, debugging and the
    result page (arrays float32 in [0, 1])."""

    work: np.ndarray            # (h, w) luminance of the working copy (ink as given)
    ink: np.ndarray             # (h, w) ink map, ink bright
    mask: np.ndarray            # (h, w) bool, the selected digit pixels
    crop: np.ndarray            # (hc, wc) the cropped ink before fitting
    image28: np.ndarray         # (28, 28) the final image (after prepare_mnist)
    candidate: str = "rules"    # the hypothesis: "rules", "plain", "filled", "beside" or "center"
    stray_grey: float = 0.0     # plain crop: share of its ink that is stray grey (crops.judge_plain)
    same_place: bool = False    # plain crop: the rules read the same place (crops.judge_plain)
    pen_beside: bool = False    # rules' crop: its digit is a pen with ink beside it (crops.beside_pen)


def prepare_mnist(images: np.ndarray, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Shared final step: (n, 28, 28) uint8 (or float in [0, 1]) MNIST-form images ->
    (n, 784) float32 in [0, 1]. Without deskew this is exactly ``images / 255``."""
    return mnist_form.prepare_mnist(images, deskew_images=config.deskew)


def trace_candidates(source: ImageSource, config: PreprocessConfig = PreprocessConfig()) -> list[Trace]:
    """One image -> the Trace of each candidate (1 to 4; the rules' choice first).

    Raises ImageError (a ValueError with ``.code``): unreadable input, or ``no_ink``
    when the image holds no ink at all (blank, uniform, noise only)."""
    picture = open_picture(source, config)              # upload -> opaque planes
    views = sheet.views(picture, config)                # the sheet alone (if any), then all
    maps = ink_map.from_views(views, config)            # views -> ink maps
    found = crops.candidates(maps, config)              # ink maps -> candidate crops
    placed = placing.place_all(found, config)           # crops -> (28, 28) MNIST form
    inks = {}  # one clipped ink map per view, shared by the candidates cut from it
    for crop, _ in placed:
        if id(crop.source) not in inks:
            inks[id(crop.source)] = np.clip(crop.source.flat, 0, 1)
    return [Trace(work=crop.source.view.grey.astype(np.float32, copy=False),
                  ink=inks[id(crop.source)], mask=crop.digit, crop=form.crop,
                  image28=form.image28, candidate=crop.name, stray_grey=crop.stray_grey,
                  same_place=crop.same_place, pen_beside=crop.pen_beside)
            for crop, form in placed]


def candidate_rows(traces: list[Trace]) -> np.ndarray:
    """The candidates' inputs: (k, 784) float32 rows, in the order of ``traces``."""
    return np.stack([t.image28.reshape(784) for t in traces])


def trace_image(source: ImageSource, config: PreprocessConfig = PreprocessConfig()) -> Trace:
    """The Trace of the rules' own first choice (the Predictor may choose another candidate)."""
    return trace_candidates(source, config)[0]


def preprocess_image(source: ImageSource, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """One image (bytes, path, file object or PIL image) -> (784,) float32 in [0, 1], ink
    bright on dark, in MNIST form: the first candidate (all are built; see ``trace_candidates``).
    Raises ImageError (a ValueError) with ``.code``."""
    return trace_candidates(source, config)[0].image28.reshape(784)


def preprocess_images(sources: Iterable[ImageSource],
                      config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Many images -> (n, 784) float32; the first failing image raises its ImageError."""
    rows = [preprocess_image(s, config) for s in sources]
    return np.stack(rows) if rows else np.zeros((0, 784), np.float32)
