"""Set (b) ``lowres``: MNIST test digits shrunk to 8, 12 or 16 px and scaled back up, as a scanner gives.

Each digit's ink box is shrunk (BOX filter, anti-aliased) so its longer side is 8, 12 or
16 px, placed with a margin on a small grey canvas (a third of the time 0-15 % of the box, a
scan cut to the field; otherwise 15-60 %), then scaled up 4-10x with bilinear or bicubic
resampling. Grey ink (30-150) on light grey paper (170-240), a blur of up to half a
low-res pixel, contrast loss and scanner noise; 80 % grey PNG, 20 % JPEG. Kinds: ``px8``,
``px12``, ``px16``.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from PIL import Image

from .common import Sample, blur, encode, ink_box, paint, to_image, upscale

SIZES = (8, 12, 16)


def shrink_digit(digit: np.ndarray, px: int, margin: float) -> np.ndarray:
    """(28, 28) uint8 digit -> (h, w) float32 ink in [0, 1]: the ink box with its longer
    side ``px`` px, on a canvas ``margin`` x that side wider on each side."""
    top, bottom, left, right = ink_box(digit)
    crop = digit[top:bottom, left:right]
    scale = px / max(crop.shape)
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = upscale(crop, size, Image.Resampling.BOX)
    pad = max(1, round(margin * px))
    return np.pad(small, pad)


def generate(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels -> n grey scan Samples, sizes in turn."""
    for i, (digit, label) in enumerate(zip(images, labels)):
        px = SIZES[i % len(SIZES)]
        margin = rng.uniform(0.0, 0.15) if rng.random() < 1 / 3 else rng.uniform(0.15, 0.6)
        small = shrink_digit(digit, px, margin)
        factor = rng.uniform(4.0, 10.0)
        size = (round(small.shape[1] * factor), round(small.shape[0] * factor))
        resample = Image.Resampling.BICUBIC if rng.random() < 0.5 else Image.Resampling.BILINEAR
        alpha = upscale(small, size, resample)
        alpha = blur(alpha, rng.uniform(0.0, 0.5) * factor) * rng.uniform(0.75, 1.0)  # contrast loss
        paper = rng.uniform(170, 240)
        ink = rng.uniform(30, 150)
        img = to_image(paint(alpha, ink, paper), noise=rng.uniform(1.0, 6.0), rng=rng, grey=True)
        ext = "jpg" if rng.random() < 0.2 else "png"
        yield Sample(encode(img, ext, quality=int(rng.uniform(60, 95))), ext, int(label), f"px{px}")
