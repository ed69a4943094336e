"""Set (j) ``pages``: phone photos of a whole page with a small thin-pen MNIST test digit on it.

Not one of issue 10's sets (a)-(f): added afterwards as a regression check for the
background's edge ramps (``background._edge_ramps``) and the sheet's painted surround
(``sheet.paper_field``), never used to choose anything. A 1600x1200 or 2000x1500 JPEG
(either orientation), the digit 7-20% of the shorter side, drawn with a thin pen (the core
of the MNIST strokes), the light falling off across the page. Three kinds, in turn:

- ``lit``: the page fills the frame, lit round a point near its middle, up to about 40%
  darker in the corners (a desk lamp, a phone's vignetting);
- ``side``: the page fills the frame, darker toward one side (a window);
- ``table``: the page on a darker table, lit round a point anywhere on it.

Paper and ink colours, noise (sigma 2-8) and a slight blur vary per picture.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from PIL import Image, ImageFilter

from .common import Sample, encode, ink_box

KINDS = ("lit", "side", "table")
#: Picture sizes (long side, short side), px.
SIZES = ((1600, 1200), (2000, 1500))


def pen_digit(digit: np.ndarray, side: int, rng: np.random.Generator) -> np.ndarray:
    """(28, 28) uint8 ink-bright digit -> (side, w) float32 ink in [0, 1]: its ink box scaled
    to ``side`` px tall, only the strokes' core kept (a thin pen, not MNIST's broad one)."""
    top, bottom, left, right = ink_box(digit, 30)
    box = digit[top:bottom, left:right]
    width = max(4, int(box.shape[1] * side / box.shape[0]))
    up = np.asarray(Image.fromarray(box).resize((width, side), Image.Resampling.BICUBIC), np.float32) / 255
    core = float(rng.uniform(0.55, 0.8))
    return np.clip((up - core) / 0.12, 0.0, 1.0)


def light(kind: str, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """(h, w) float32 share of the light reaching each point of the page for ``kind``."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ys /= h
    xs /= w
    if kind == "side":
        angle = rng.uniform(0.0, 2 * np.pi)
        ramp = np.cos(angle) * (xs - 0.5) + np.sin(angle) * (ys - 0.5) + 0.7
        return 1.0 - rng.uniform(0.2, 0.45) * ramp
    centre = rng.uniform(0.35, 0.65, 2) if kind == "lit" else rng.uniform(0.0, 1.0, 2)
    strength = rng.uniform(0.3, 0.8) if kind == "lit" else rng.uniform(0.0, 0.25)
    return 1.0 - strength * ((ys - centre[0]) ** 2 + (xs - centre[1]) ** 2)


def photo(digit: np.ndarray, kind: str, rng: np.random.Generator) -> Image.Image:
    """The photo of a page (on a table for ``kind`` "table") with ``digit`` written on it."""
    w, h = SIZES[int(rng.integers(len(SIZES)))]
    if rng.random() < 0.5:
        w, h = h, w
    lit = light(kind, h, w, rng)[..., None]
    paper = rng.uniform(200, 245, 3).astype(np.float32)
    img = paper * lit
    if kind == "table":
        table = rng.uniform(40, 140, 3).astype(np.float32)
        top, left = int(h * rng.uniform(0.05, 0.2)), int(w * rng.uniform(0.05, 0.2))
        on_page = np.zeros((h, w, 1), bool)
        on_page[top:h - top, left:w - left] = True
        img = np.where(on_page, img, table * lit)
    ink = pen_digit(digit, int(min(h, w) * rng.uniform(0.07, 0.2)), rng)
    y0 = int((h - ink.shape[0]) * rng.uniform(0.3, 0.7))
    x0 = int((w - ink.shape[1]) * rng.uniform(0.3, 0.7))
    alpha = ink[..., None] * rng.uniform(0.8, 1.0)
    pen = (rng.uniform(10, 60, 3) * [1, 1, 2]).astype(np.float32)   # black, grey or blue
    patch = img[y0:y0 + ink.shape[0], x0:x0 + ink.shape[1]]
    img[y0:y0 + ink.shape[0], x0:x0 + ink.shape[1]] = patch * (1 - alpha) + pen * alpha
    img += rng.normal(0, rng.uniform(2, 8), (h, w, 1)).astype(np.float32)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.0)))


def generate(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels -> n Samples, kinds in turn."""
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        yield Sample(encode(photo(digit, kind, rng), "jpg", quality=int(rng.uniform(80, 95))), "jpg",
                     int(label), kind)
