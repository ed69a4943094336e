"""Set (f) ``ruled``: thin-pen digits on ruled notebook paper, with a caption beside or under.

An MNIST test digit is scaled so its ink box is 1.0-2.2 rule gaps tall, thresholded,
thinned to a 1-px skeleton (Zhang-Suen) and redrawn with a 1-3 px pen in blue or black
ink. The page: off-white paper, light blue rules every 22-40 px, 40 % a red margin line,
a crop 2.5-4x the digit's size around it. A caption of a word or two (letters only, no
digits) in a small font of the split's families goes beside or under the digit, or none.
Photographed: a little blur, noise, JPEG (quality 55-95). Kinds: ``beside``, ``under``, ``none``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .common import Sample, blur, encode, ink_box, paint, rank_filter, to_image, upscale

KINDS = ("beside", "under", "none")
WORDS = ("total", "answer", "page", "name", "Question", "box", "score", "mark", "row",
         "seat", "Nr", "Ex", "room", "level", "step", "item", "see", "left", "max", "code")
RULE = np.array([140.0, 175.0, 225.0])
MARGIN_RED = np.array([220.0, 90.0, 100.0])


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a (h, w) bool mask -> its 1-px skeleton (h, w) bool."""
    img = np.pad(mask, 1).astype(np.uint8)
    while True:
        changed = False
        for step in (0, 1):
            p = img
            n = [p[:-2, 1:-1], p[:-2, 2:], p[1:-1, 2:], p[2:, 2:],      # P2..P5 (N, NE, E, SE)
                 p[2:, 1:-1], p[2:, :-2], p[1:-1, :-2], p[:-2, :-2]]    # P6..P9 (S, SW, W, NW)
            count = sum(x.astype(np.int32) for x in n)
            ring = n + [n[0]]
            transitions = sum(((ring[k] == 0) & (ring[k + 1] == 1)).astype(np.int32) for k in range(8))
            if step == 0:
                c1, c2 = n[0] * n[2] * n[4], n[2] * n[4] * n[6]
            else:
                c1, c2 = n[0] * n[2] * n[6], n[0] * n[4] * n[6]
            drop = (p[1:-1, 1:-1] == 1) & (count >= 2) & (count <= 6) & (transitions == 1) & (c1 == 0) & (c2 == 0)
            if drop.any():
                img = img.copy()
                img[1:-1, 1:-1][drop] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1].astype(bool)


def pen_digit(digit: np.ndarray, height: int, pen: int) -> np.ndarray:
    """(28, 28) uint8 digit -> (h, w) float32 thin-pen ink, ink box ``height`` px tall,
    strokes ``pen`` px wide, anti-aliased."""
    top, bottom, left, right = ink_box(digit)
    crop = np.pad(digit[top:bottom, left:right], 1)
    scale = height / (bottom - top)
    size = (max(3, round(crop.shape[1] * scale)), max(3, round(crop.shape[0] * scale)))
    skeleton = thin(upscale(crop, size, Image.Resampling.BICUBIC) > 0.5).astype(np.float32)
    if pen > 1:
        skeleton = rank_filter(skeleton, 2 * (pen // 2) + 1, grow=True) if pen % 2 else \
            np.maximum(skeleton, np.roll(rank_filter(skeleton, pen - 1, grow=True), 1, axis=1))
    return blur(skeleton, 0.5)


def caption(fonts: dict[str, list[Path]], size: int, rng: np.random.Generator) -> np.ndarray:
    """A word or two in a random regular-ish font at ``size`` px -> (h, w) float32 ink."""
    family = sorted(fonts)[int(rng.integers(len(fonts)))]
    path = fonts[family][int(rng.integers(len(fonts[family])))]
    text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 3)), replace=False))
    text += ":" if rng.random() < 0.3 else ""
    font = ImageFont.truetype(str(path), size)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    img = Image.new("L", (right - left + 2, bottom - top + 2), 0)
    ImageDraw.Draw(img).text((1 - left, 1 - top), text, font=font, fill=255)
    return np.asarray(img, np.float32) / 255.0


def _place(canvas: np.ndarray, item: np.ndarray, top: int, left: int) -> None:
    """Max-blend (h, w) ``item`` into ``canvas`` at (top, left), clipped to the canvas."""
    h, w = canvas.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + item.shape[0], h), min(left + item.shape[1], w)
    if t1 > t0 and l1 > l0:
        region = canvas[t0:t1, l0:l1]
        np.maximum(region, item[t0 - top:t1 - top, l0 - left:l1 - left], out=region)


def page(digit_ink: np.ndarray, gap: int, kind: str, fonts, rng: np.random.Generator) -> np.ndarray:
    """Thin-pen digit ink -> (h, w, 3) float32 notebook picture with rules, margin and caption."""
    dh, dw = digit_ink.shape
    h = int(dh * rng.uniform(2.5, 4.0))
    w = int(max(dh, dw) * rng.uniform(2.5, 4.0)) + (int(dh * 2) if kind == "beside" else 0)
    rule_y = np.arange(int(rng.uniform(0, gap)), h, gap)
    base = min(rule_y, key=lambda y: abs(y - (h // 2 + dh // 2)))
    top = int(base - dh + rng.uniform(-0.1, 0.15) * gap)
    left = int(rng.uniform(0.15, 0.35) * w)
    ink = np.zeros((h, w), np.float32)
    _place(ink, digit_ink, top, left)
    if kind != "none":
        text = caption(fonts, max(9, int(gap * rng.uniform(0.35, 0.55))), rng)
        if kind == "beside":
            ctop, cleft = int(base - text.shape[0] - 2), left + dw + int(rng.uniform(0.2, 0.6) * dh)
        else:
            ctop, cleft = base + gap - text.shape[0] - 2, left + int(rng.uniform(-0.3, 0.3) * dw)
        _place(ink, text, ctop, cleft)
    rules = np.zeros((h, w), np.float32)
    rules[rule_y] = rng.uniform(0.5, 0.9)
    paper = np.array([248.0, 247.0, 240.0]) - rng.uniform(0, 15)
    rgb = paint(blur(rules, 0.4) * 1.6, RULE, paper)
    if rng.random() < 0.4:
        margin = np.zeros((h, w), np.float32)
        margin[:, int(rng.uniform(0.05, 0.12) * w):][:, :2] = 0.8
        rgb = paint(blur(margin, 0.4), MARGIN_RED, 0) + rgb * (1 - blur(margin, 0.4)[..., None])
    pen_colour = np.array([25.0, 45.0, 150.0]) + rng.uniform(-15, 25, 3) if rng.random() < 0.6 else rng.uniform(10, 50, 3)
    return paint(ink, pen_colour, 0) + rgb * (1 - np.clip(ink, 0, 1)[..., None])


def generate(images: np.ndarray, labels: np.ndarray, fonts: dict[str, list[Path]],
             rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 digits + (n,) labels + the split's fonts (for captions) -> n JPEG
    Samples of notebook photos, caption kinds in turn."""
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        gap = int(rng.uniform(22, 40))
        ink = pen_digit(digit, int(gap * rng.uniform(1.0, 2.2)), int(rng.choice([1, 2, 2, 3])))
        rgb = page(ink, gap, kind, fonts, rng)
        img = to_image(rgb, noise=rng.uniform(1, 5), rng=rng)
        yield Sample(encode(img, "jpg", quality=int(rng.uniform(55, 95))), "jpg", int(label), kind)
