"""Set (g) ``layouts``: MNIST test digits in the layouts people photograph them in.

Not one of issue 10's sets (a)-(f): added afterwards as a regression check for the rules
(boxes, lines, uneven light), never used to choose anything. An MNIST test digit, scaled
to 45-70 % of a 120-260 px picture and placed near its centre, in one of five layouts:

- ``box``: a printed form box drawn round it (1-3 px, black, red or blue), half the time
  so tight that it touches or runs through the ink's edges;
- ``comb``: a form's comb field, a base line with ticks, the digit standing on it;
- ``grid``: squared paper, light blue lines every 1/8-1/4 of the picture;
- ``shadow``: uneven light, a linear fall-off plus a shadow 20-45 % darker with a soft
  (1-4 % of the picture) or hard edge, or over a corner;
- ``askew``: a thin-pen digit on ruled paper (set (f)'s page, no caption) photographed
  0.5-4 degrees askew, the corners cut off.

Dark pen on off-white paper, a little noise; two thirds JPEG (quality 60-95), one third PNG.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from PIL import Image

from . import ruled
from .common import Sample, encode, paint, place_digit, to_image

KINDS = ("box", "comb", "grid", "shadow", "askew")
LINE_COLOURS = ((20.0, 20.0, 20.0), (200.0, 60.0, 60.0), (80.0, 80.0, 200.0))
GRID_BLUE = np.array([150.0, 190.0, 230.0])


def box_lines(size: int, top: int, left: int, side: int, rng: np.random.Generator) -> np.ndarray:
    """(size, size) float32 mask of a box round the digit frame (top, left, side): half the
    time 0-12 % inside the frame (MNIST's ink starts 2-4 px = 7-14 % in, so the box
    touches or cuts the ink's edges), otherwise 5-30 % outside it."""
    lines = np.zeros((size, size), np.float32)
    width = int(rng.integers(1, 4))
    inset = rng.uniform(0.0, 0.12) if rng.random() < 0.5 else -rng.uniform(0.05, 0.3)
    t = int(np.clip(top + inset * side, 0, size - width))
    b = int(np.clip(top + side - inset * side, t + 2 * width, size - width))
    l = int(np.clip(left + inset * side, 0, size - width))
    r = int(np.clip(left + side - inset * side, l + 2 * width, size - width))
    lines[t:t + width, l:r + width] = lines[b:b + width, l:r + width] = 1.0
    lines[t:b + width, l:l + width] = lines[t:b + width, r:r + width] = 1.0
    return lines


def comb_lines(size: int, top: int, side: int, rng: np.random.Generator) -> np.ndarray:
    """(size, size) float32 mask of a comb field: a base line near the digit frame's
    bottom and ticks a sixth of the picture tall every half picture."""
    lines = np.zeros((size, size), np.float32)
    width = int(rng.integers(1, 3))
    base = int(min(size - width, top + side * rng.uniform(0.8, 1.0)))
    lines[base:base + width] = 1.0
    for x in range(int(rng.integers(0, size // 3)), size, size // 2):
        lines[max(0, base - size // 6):base, x:x + width] = 1.0
    return lines


def light(size: int, rng: np.random.Generator) -> np.ndarray:
    """(size, size) float32 light level: a linear fall-off times a shadow (soft or hard
    straight edge, or a corner)."""
    yy, xx = np.mgrid[0:size, 0:size] / size
    level = 0.6 + 0.45 * np.clip(xx * rng.uniform(0.5, 1.5) + yy * rng.uniform(-0.5, 0.5), 0, 1)
    dark = rng.uniform(0.55, 0.8)
    shape = rng.integers(3)
    if shape == 2:  # a corner in shadow
        dist = np.hypot(xx - rng.integers(2), yy - rng.integers(2)) - rng.uniform(0.3, 0.5)
    else:
        dist = xx - rng.uniform(0.2, 0.8)
    soft = rng.uniform(0.01, 0.04) if shape != 1 else 1e-3
    edge = 1 / (1 + np.exp(np.clip(-dist / soft, -50, 50)))  # clipped: a hard edge overflows exp
    return (level * (dark + (1 - dark) * edge)).astype(np.float32)


def askew_page(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """(28, 28) uint8 digit -> a ruled page with it (``ruled.page``, no caption), turned
    0.5-4 degrees either way and cut to the part without corners."""
    gap = int(rng.uniform(22, 40))
    ink = ruled.pen_digit(digit, int(gap * rng.uniform(1.0, 2.2)), int(rng.choice([1, 2, 2, 3])))
    rgb = ruled.page(ink, gap, "none", None, rng)
    img = to_image(rgb, noise=rng.uniform(1.0, 4.0), rng=rng)
    angle = rng.uniform(0.5, 4.0) * rng.choice([-1, 1])
    turned = img.rotate(angle, Image.Resampling.BICUBIC, fillcolor=tuple(int(v) for v in rgb[0, 0]))
    w, h = img.size
    cut = int(np.ceil(np.tan(np.radians(abs(angle))) * max(w, h))) + 1
    return turned.crop((cut, cut, w - cut, h - cut))


def generate(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels -> n layout Samples, kinds in turn."""
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        if kind == "askew":
            ext = "png" if rng.random() < 1 / 3 else "jpg"
            yield Sample(encode(askew_page(digit, rng), ext, quality=int(rng.uniform(60, 95))),
                         ext, int(label), kind)
            continue
        size = int(rng.integers(120, 261))
        ink, top, left, side = place_digit(digit, size, rng)
        paper = np.array([250.0, 249.0, 243.0]) - rng.uniform(0, 12)
        rgb = paint(ink, rng.uniform(10, 60, 3), paper)
        if kind == "box":
            lines = box_lines(size, top, left, side, rng)[..., None]
            rgb = rgb * (1 - lines) + lines * np.array(LINE_COLOURS[rng.integers(len(LINE_COLOURS))])
        elif kind == "comb":
            lines = comb_lines(size, top, side, rng)[..., None]
            rgb = np.minimum(rgb, rgb * (1 - lines) + lines * rng.uniform(40, 120))
        elif kind == "grid":
            step = int(rng.integers(size // 8, size // 4))
            lines = np.zeros((size, size, 1), np.float32)
            lines[int(rng.integers(step))::step] = lines[:, int(rng.integers(step))::step] = 1.0
            rgb = np.minimum(rgb, rgb * (1 - lines) + lines * GRID_BLUE)
        else:
            rgb = rgb * light(size, rng)[..., None]
        img = to_image(rgb, noise=rng.uniform(1.0, 4.0), rng=rng)
        ext = "png" if rng.random() < 1 / 3 else "jpg"
        yield Sample(encode(img, ext, quality=int(rng.uniform(60, 95))), ext, int(label), kind)
