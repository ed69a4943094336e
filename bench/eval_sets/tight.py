"""Set (a) ``tight``: MNIST test digits cropped tight, ink touching 0, 1, 2 or 4 edges.

Cropping a photo to the digit is the first thing people do. Each digit is cut to its
ink box (pixels above 0 or, half the time, above 64, so the faint rim may be cut) with
a 2-px margin on the sides left free; ``edges1`` / ``edges2`` pick the touching sides
at random. The crop is scaled 2-6x with LANCZOS and saved as PNG: 80 % dark ink on white
(as people send), 20 % white ink on black. Kinds: ``edges0``, ``edges1``, ``edges2``, ``edges4``.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from PIL import Image

from .common import Sample, encode, ink_box

KINDS = ("edges0", "edges1", "edges2", "edges4")
MARGIN = 2


def crop_tight(digit: np.ndarray, touching: set[str], threshold: int) -> np.ndarray:
    """(28, 28) uint8 digit -> its ink box, padded by ``MARGIN`` px (zeros) on each
    side ("top", "bottom", "left", "right") not in ``touching``."""
    top, bottom, left, right = ink_box(digit, threshold)
    pad = np.pad(digit, MARGIN)
    m = {side: 0 if side in touching else MARGIN for side in ("top", "bottom", "left", "right")}
    return pad[top + MARGIN - m["top"]:bottom + MARGIN + m["bottom"],
               left + MARGIN - m["left"]:right + MARGIN + m["right"]]


def generate(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels -> n PNG Samples, kinds in turn."""
    sides = ("top", "bottom", "left", "right")
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        count = int(kind[-1])
        touching = set(rng.choice(sides, size=count, replace=False)) if count else set()
        crop = crop_tight(digit, touching, threshold=int(rng.choice([0, 64])))
        scale = rng.uniform(2.0, 6.0)
        size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
        img = Image.fromarray(crop).resize(size, Image.Resampling.LANCZOS)
        if rng.random() < 0.8:
            img = Image.eval(img, lambda v: 255 - v)
        yield Sample(encode(img, "png"), "png", int(label), kind)
