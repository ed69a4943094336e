"""Set (i) ``rows``: one digit cropped out of a number, parts of its neighbours cut by the edges.

Not one of issue 10's sets (a)-(f): added afterwards as a regression check for the rule
that leaves a digit's neighbours out (``selection._neighbours``), never used to choose
anything. Three kinds, in turn:

- ``both``: the digit written in a row with two other MNIST digits of the split (gaps 0-30 %
  of the digit's height), the crop showing 10-60 % of each neighbour;
- ``one``: the same with one neighbour, left or right, and 5-15 % of paper on the other side;
- ``plate``: a house-number plate (printed in one of the split's fonts, coloured plate and
  figures) cropped round the middle figure as in the Street View House Numbers crops:
  square-ish, the neighbours cut by the sides, 32-80 px, blurred.

Pen on paper: a scan or a photo 28-140 px tall, PNG or JPEG.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .common import Sample, encode, ink_box, paint, to_image, upscale

KINDS = ("both", "one", "plate")
#: Height (px) of a written digit in the row before the crop is scaled to its final size.
ROW_HEIGHT = 100


def _glyph(digit: np.ndarray) -> np.ndarray:
    """(28, 28) uint8 MNIST digit -> its ink box as (h, w) float32 in [0, 1]."""
    top, bottom, left, right = ink_box(digit, 30)
    return digit[top:bottom, left:right].astype(np.float32) / 255.0


Box = tuple[int, int, int, int]


def _row(glyphs: list[np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, list[Box]]:
    """Three (h, w) ink boxes written left to right, each ``ROW_HEIGHT`` px for a 20 px
    MNIST box, baselines jittered -> (row ink (H, W) float32, boxes (top, bottom, left, right))."""
    scale = ROW_HEIGHT / 20
    ink = np.zeros((2 * ROW_HEIGHT, 6 * ROW_HEIGHT), np.float32)
    x, boxes = ROW_HEIGHT // 2, []
    for glyph in glyphs:
        h, w = int(glyph.shape[0] * scale), max(1, int(glyph.shape[1] * scale))
        jitter = int(rng.integers(-ROW_HEIGHT // 12, ROW_HEIGHT // 12 + 1))
        y = ROW_HEIGHT // 2 + (ROW_HEIGHT - h) // 2 + jitter
        ink[y:y + h, x:x + w] = np.maximum(ink[y:y + h, x:x + w], upscale(glyph, (w, h)))
        boxes.append((y, y + h, x, x + w))
        x += w + int(ROW_HEIGHT * rng.uniform(0.0, 0.3))
    return ink, boxes


def written(digits: list[np.ndarray], kind: str, rng: np.random.Generator) -> Image.Image:
    """The middle of three MNIST digits written in a row, cropped with parts of the
    neighbours (``kind`` "both") or of one of them ("one")."""
    ink, boxes = _row([_glyph(d) for d in digits], rng)
    top, bottom, left, right = boxes[1]
    sides = ("left", "right") if kind == "both" else (("left",), ("right",))[int(rng.integers(2))]
    paper = lambda: int(ROW_HEIGHT * rng.uniform(0.05, 0.15))  # noqa: E731
    cut = lambda box: int((box[3] - box[2]) * rng.uniform(0.1, 0.6))  # noqa: E731
    x0 = min(boxes[0][3] - cut(boxes[0]), left - 1) if "left" in sides else left - paper()
    x1 = max(boxes[2][2] + cut(boxes[2]), right + 1) if "right" in sides else right + paper()
    margin = int(ROW_HEIGHT * rng.uniform(0.05, 0.25))
    crop = ink[max(0, top - margin):bottom + margin, max(0, x0):x1]
    rgb = paint(crop, rng.uniform(10, 70, 3), [245.0, 244.0, 238.0])
    img = to_image(rgb, rng.uniform(1.0, 4.0), rng)
    height = int(rng.integers(28, 141))
    width = max(8, round(height * crop.shape[1] / crop.shape[0]))
    return img.resize((width, height), Image.Resampling.BILINEAR)


def plate(label: int, font_path: Path, rng: np.random.Generator) -> Image.Image:
    """Figure ``label`` between two random ones on a house-number plate, cropped round it
    (half-width 0.5-0.8 x the figures' height) and scaled to 32-80 px square."""
    font = ImageFont.truetype(str(font_path), 120)
    left, right = (int(v) for v in rng.integers(0, 10, 2))
    canvas = Image.new("L", (700, 240), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((20, 30), f"{left}{label}{right}", fill=255, font=font)
    ink = np.asarray(canvas, np.float32) / 255.0
    rows = np.flatnonzero(ink.max(axis=1) > 0.3)
    top, bottom = int(rows[0]), int(rows[-1]) + 1
    centre = 20 + (draw.textlength(str(left), font=font) + draw.textlength(f"{left}{label}", font=font)) / 2
    half, margin = (bottom - top) * rng.uniform(0.5, 0.8), int((bottom - top) * rng.uniform(0.05, 0.2))
    crop = ink[max(0, top - margin):bottom + margin, max(0, int(centre - half)):int(centre + half)]
    background = rng.uniform(0, 255, 3)
    figures = 255.0 - background if rng.random() < 0.5 else rng.uniform(0, 255, 3)
    if np.abs(figures - background).sum() < 200:  # a plate is made to be read
        figures = 255.0 - background
    img = Image.fromarray(np.clip(paint(crop, figures, background), 0, 255).astype(np.uint8))
    size = int(rng.integers(32, 81))
    img = img.resize((size, size), Image.Resampling.BILINEAR)
    return img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))


def generate(images: np.ndarray, labels: np.ndarray, fonts: dict[str, list[Path]],
             rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels + the split's fonts -> n Samples,
    kinds in turn; a written digit's neighbours are other digits of the same draw."""
    names = sorted(fonts)
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        if kind == "plate":
            family = fonts[names[i % len(names)]]
            img = plate(int(label), family[int(rng.integers(len(family)))], rng)
        else:
            neighbours = images[rng.integers(len(images), size=2)]
            img = written([neighbours[0], digit, neighbours[1]], kind, rng)
        ext = "jpg" if kind == "plate" or rng.random() < 0.5 else "png"
        yield Sample(encode(img, ext, quality=int(rng.uniform(70, 95))), ext, int(label), kind)
