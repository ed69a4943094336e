"""Set (k) ``objects``: phone photos of an MNIST test digit with the pen it was written with,
or a coin, lying beside it, at real proportions.

Not one of issue 10's sets (a)-(f): added afterwards as a regression check for the objects
lying beside the digit (``selection._objects``) and the digit beside a pen
(``crops.beside_pen``), never used to choose anything. The digit is about 4 cm tall
(20-35% of the shorter side of a 900x1200 JPEG, either orientation); the pen is 8-10 mm wide
and 14 cm long (0.17-0.25 of the digit's height wide, 3-3.6 times it long), the frame often
cutting it; a coin is 2-2.6 cm across. Four kinds, in turn:

- ``ballpoint``: a thin-pen digit (the core of the MNIST strokes) and a ballpoint pen;
- ``pencil``: a grey thin-pen digit and a yellow or green pencil;
- ``marker``: the digit in MNIST's own broad stroke and a marker's thicker body;
- ``coin``: a thin-pen digit and a coin.

The object lies clear of the digit (2% of the shorter side at least), with a soft shadow;
paper colour, a gentle light gradient and noise vary per picture.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .common import Sample, encode, ink_box
from .pages import pen_digit

KINDS = ("ballpoint", "pencil", "marker", "coin")
#: Per kind: (pen width as a share of the digit's height, body colours, ink colours).
_KIND = {"ballpoint": (0.22, ((25, 40, 140), (20, 20, 22), (175, 178, 182)), ((25, 35, 120), (20, 20, 25))),
         "pencil": (0.17, ((230, 190, 40), (40, 120, 60)), ((90, 90, 95),)),
         "marker": (0.40, ((20, 20, 22), (30, 60, 170), (180, 30, 30)), ((20, 20, 22), (30, 60, 170), (180, 30, 30))),
         "coin": (0.0, ((150, 150, 150), (180, 140, 70)), ((25, 35, 120), (20, 20, 25)))}


def _object(kind: str, shape: tuple[int, int], side: int, rng: np.random.Generator) -> np.ndarray:
    """(h, w) float32 coverage of a pen (or a coin, for ``kind`` "coin") for a digit ``side``
    px tall, centred at a random point with a random angle."""
    h, w = shape
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    if kind == "coin":
        r = side * rng.uniform(0.25, 0.33)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
    else:
        width = side * _KIND[kind][0] * rng.uniform(0.9, 1.15)
        half = side * rng.uniform(3.0, 3.6) / 2
        angle = rng.uniform(0, np.pi)
        dx, dy = half * np.cos(angle), half * np.sin(angle)
        draw.line([(cx - dx, cy - dy), (cx + dx, cy + dy)], fill=255, width=max(3, round(width)))
        for ex, ey in ((cx - dx, cy - dy), (cx + dx, cy + dy)):   # round ends
            draw.ellipse([ex - width / 2, ey - width / 2, ex + width / 2, ey + width / 2], fill=255)
    return np.asarray(img.filter(ImageFilter.GaussianBlur(1.0)), np.float32) / 255


def photo(digit: np.ndarray, kind: str, rng: np.random.Generator) -> Image.Image:
    """The photo of ``digit`` written on a page with the ``kind`` of object beside it."""
    h, w = (1200, 900) if rng.random() < 0.5 else (900, 1200)
    side = int(min(h, w) * rng.uniform(0.2, 0.35))
    ink_kind = _KIND[kind][2]
    if kind == "marker":
        top, bottom, left, right = ink_box(digit, 30)
        box = digit[top:bottom, left:right]
        width = max(4, int(box.shape[1] * side / box.shape[0]))
        ink = np.asarray(Image.fromarray(box).resize((width, side), Image.Resampling.BICUBIC), np.float32) / 255
    else:
        ink = pen_digit(digit, side, rng)
    y0 = int((h - ink.shape[0]) * rng.uniform(0.3, 0.7))
    x0 = int((w - ink.shape[1]) * rng.uniform(0.3, 0.7))
    margin = int(0.02 * min(h, w))
    for _ in range(500):   # an object clear of the digit, a good part of it in the frame
        cover = _object(kind, (h, w), side, rng)
        near = cover[max(0, y0 - margin):y0 + ink.shape[0] + margin, max(0, x0 - margin):x0 + ink.shape[1] + margin]
        if near.max() < 0.05 and float(cover.sum()) > 0.5 * side * side * (0.2 if kind == "coin" else 0.4):
            break
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
    gradient = 1 - rng.uniform(0, 0.15) * (ys * rng.uniform(-1, 1) + xs * rng.uniform(-1, 1))
    img = (rng.uniform(215, 248, 3).astype(np.float32) * gradient[..., None])
    shadow = np.roll(np.asarray(Image.fromarray((cover * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(side * 0.06)), np.float32) / 255, int(side * 0.05), axis=0)
    img *= (1 - 0.3 * shadow)[..., None]
    alpha = ink[..., None] * rng.uniform(0.8, 1.0)
    colour = np.asarray(ink_kind[int(rng.integers(len(ink_kind)))], np.float32)
    patch = img[y0:y0 + ink.shape[0], x0:x0 + ink.shape[1]]
    img[y0:y0 + ink.shape[0], x0:x0 + ink.shape[1]] = patch * (1 - alpha) + colour * alpha
    body = np.asarray(_KIND[kind][1][int(rng.integers(len(_KIND[kind][1])))], np.float32)
    img = img * (1 - cover[..., None]) + body * cover[..., None]
    img += rng.normal(0, rng.uniform(2, 5), (h, w, 1)).astype(np.float32)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def generate(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels -> n Samples, kinds in turn."""
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        yield Sample(encode(photo(digit, kind, rng), "jpg", quality=int(rng.uniform(80, 95))), "jpg",
                     int(label), kind)
