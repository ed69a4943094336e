"""Stage: an upload -> its opaque planes at the working size (decoded, shrunk, transparency flattened)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing.loading import ImageSource, composite, load_image, shrink, to_planes


@dataclass(frozen=True)
class Picture:
    """Opaque float32 planes in [0, 1]: ``channels`` (c, h, w) with c = 1 (grey) or 3
    (RGB), and ``grey`` (h, w), their mean (the plane itself when c = 1)."""

    channels: np.ndarray
    grey: np.ndarray

    @classmethod
    def of(cls, channels: np.ndarray) -> "Picture":
        """The Picture of opaque (c, h, w) ``channels``."""
        return cls(channels, channels[0] if channels.shape[0] == 1 else channels.mean(axis=0))


def open_picture(source: ImageSource, config: PreprocessConfig) -> Picture:
    """Decode ``source``, shrink to ``config.work_size``, flatten transparency -> Picture.

    Raises ImageError (``empty``, ``not_an_image``, ``too_large``, ``too_small``)."""
    img = load_image(source, max_pixels=config.max_pixels, min_side=config.min_side,
                     draft_size=config.work_size)
    channels, alpha = to_planes(shrink(img, config.work_size))
    return Picture.of(composite(channels, alpha))
