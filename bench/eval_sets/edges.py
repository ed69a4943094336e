"""Set (h) ``edges``: MNIST test digits photographed with something else at the picture's edge.

Not one of issue 10's sets (a)-(f): added afterwards as a regression check for the rules
about what the edge cuts (``selection._bands``, ``selection._edge_objects``), never used
to choose anything. Five kinds, in turn:

- ``note``: a sticky note filling most of the frame, the table showing along one side
  (6-16 % of the picture) or along two sides that meet at a corner;
- ``finger``: a fingertip holding the page, skin-coloured, coming in from one edge;
- ``screen``: a photo of a screen showing the digit, a faint moire on the panel and the
  dark bezel all round;
- ``canvas``: a screenshot of a white-on-black drawing canvas with its 1-2 px grey border
  and some of the page round it (PNG);
- ``paint``: a digit painted with a huge brush (8-14 % of the digit's size) in a small
  canvas, either polarity (PNG).

The photos are JPEG (quality 75-95) with a little noise.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw

from .common import Sample, encode, paint, place_digit, rank_filter, to_image

KINDS = ("note", "finger", "screen", "canvas", "paint")


def note(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A sticky note with the digit, the table along one side or two meeting at a corner."""
    size = int(rng.integers(200, 361))
    rgb = paint(place_digit(digit, size, rng, (0.4, 0.6), jitter=12)[0], rng.uniform(10, 60, 3),
                np.array([250.0, 235.0, 120.0]) * rng.uniform(0.85, 1.0))
    depth = int(size * rng.uniform(0.06, 0.16))
    table = np.zeros((size, size), bool)
    side = int(rng.integers(4))  # top, right, top + left, bottom + right
    if side in (0, 2):
        table[:depth] = True
    if side == 1 or side == 3:
        table[:, -depth:] = True
    if side == 2:
        table[:, :depth] = True
    if side == 3:
        table[-depth:] = True
    rgb[table] = rng.uniform(40, 120, 3)
    return to_image(rgb, rng.uniform(1.0, 4.0), rng)


def finger(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """The digit on paper and a fingertip (an ellipse 12-22 % of the picture wide) coming
    in 15-30 % of the picture from a random edge."""
    size = int(rng.integers(200, 361))
    rgb = paint(place_digit(digit, size, rng, (0.4, 0.55), jitter=20)[0], rng.uniform(10, 60, 3),
                [245.0, 243.0, 236.0])
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    width, reach = int(size * rng.uniform(0.12, 0.22)), int(size * rng.uniform(0.15, 0.3))
    at = int(rng.uniform(0.1, 0.9) * size)
    box = [[at - width // 2, -width, at + width // 2, reach],                 # from the top
           [size - reach, at - width // 2, size + width, at + width // 2],    # from the right
           [at - width // 2, size - reach, at + width // 2, size + width],    # from the bottom
           [-width, at - width // 2, reach, at + width // 2]][int(rng.integers(4))]
    skin = tuple(int(v) for v in rng.uniform([150, 100, 80], [220, 170, 140]))
    ImageDraw.Draw(img).ellipse(box, fill=skin)
    return to_image(np.asarray(img, np.float32), rng.uniform(1.0, 3.0), rng)


def screen(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """The digit, dark on a bright panel with a faint moire, the bezel 5-12 % wide all round."""
    size = int(rng.integers(200, 361))
    rgb = paint(place_digit(digit, size, rng, (0.35, 0.5), jitter=16)[0], [20.0, 20.0, 25.0],
                np.array([235.0, 240.0, 250.0]) * rng.uniform(0.8, 1.0))
    yy, xx = np.mgrid[0:size, 0:size]
    rgb = rgb + 6.0 * np.sin((0.9 * xx + 0.35 * yy) * rng.uniform(0.8, 1.4))[..., None]
    bezel = int(size * rng.uniform(0.05, 0.12))
    rim = np.ones((size, size), bool)
    rim[bezel:-bezel, bezel:-bezel] = False
    rgb[rim] = rng.uniform(10, 40)
    return to_image(rgb, rng.uniform(1.0, 4.0), rng)


def canvas(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """A white-on-black canvas (200-300 px) with a 1-2 px grey border and 5-40 px of white page round it."""
    size = int(rng.integers(200, 300))
    ink = place_digit(digit, size, rng, (0.5, 0.75), jitter=10)[0]
    margin, border = int(rng.integers(5, 40)), int(rng.integers(1, 3))
    page = np.full((size + 2 * margin, size + 2 * margin), 255.0)
    frame = slice(margin - border, margin + size + border)
    page[frame, frame] = rng.uniform(120, 200)
    page[margin:margin + size, margin:margin + size] = 255.0 * ink
    return Image.fromarray(page.astype(np.uint8)).convert("RGB")


def painted(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """The digit's shape drawn with a brush 8-14 % of its size in a 100-200 px canvas,
    black on white or white on black, no anti-aliasing."""
    size = int(rng.integers(100, 200))
    ink = place_digit(digit, size, rng, (0.6, 0.8), jitter=10)[0] > 0.35
    brush = int(max(3, ink.any(axis=1).sum() * rng.uniform(0.08, 0.14))) | 1
    ink = rank_filter(ink.astype(np.float32), brush, True)
    white = rng.random() < 0.5
    rgb = paint(ink, [0.0] * 3, [255.0] * 3) if white else paint(ink, [255.0] * 3, [0.0] * 3)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))


def generate(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels -> n Samples, kinds in turn."""
    draw = {"note": note, "finger": finger, "screen": screen, "canvas": canvas, "paint": painted}
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        img = draw[kind](digit, rng)
        ext = "png" if kind in ("canvas", "paint") else "jpg"
        yield Sample(encode(img, ext, quality=int(rng.uniform(75, 95))), ext, int(label), kind)
