"""Set (e) ``brush``: brush and marker strokes with dry-brush gaps and ragged edges.

An MNIST test digit is scaled 6-10x (bicubic) and thickened (max filter 5-21 px). Its
edge is made ragged by thresholding the soft stroke plus smooth noise. The ink is then
multiplied by a streak texture: noise 2.5-6 px across and 15-30x longer along one direction (the drag of
the brush), so ink breaks into long parallel gaps.

- ``brush``: dry brush, 15-40 % of the stroke area left as gaps, strong streaks;
- ``marker``: a felt marker, few gaps, streaks mostly as lighter bands.

Ink black, dark or a paint colour; paper white or off-white. 50 % JPEG. Kind ``brush`` or ``marker``.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from PIL import Image

from .common import Sample, blur, encode, paint, rank_filter, to_image, upscale

KINDS = ("brush", "marker")


def smooth_noise(shape: tuple[int, int], cell: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """(h, w) float32 noise in about [-1, 1], smooth over ``cell`` = (rows, cols) px."""
    h, w = shape
    small = rng.uniform(-1, 1, (max(2, int(h / cell[0]) + 2), max(2, int(w / cell[1]) + 2))).astype(np.float32)
    return np.asarray(Image.fromarray(small, "F").resize((w, h), Image.Resampling.BICUBIC), np.float32)


def streaks(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(h, w) float32 streak texture: noise stretched along a random direction."""
    side = int(np.hypot(*shape)) + 2
    across = rng.uniform(2.5, 6.0)
    tex = smooth_noise((side, side), (across, across * rng.uniform(15, 30)), rng)
    tex = Image.fromarray(tex, "F").rotate(rng.uniform(0, 180), Image.Resampling.BILINEAR)
    top, left = (side - shape[0]) // 2, (side - shape[1]) // 2
    return np.asarray(tex, np.float32)[top:top + shape[0], left:left + shape[1]]


def stroke(digit: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """(28, 28) uint8 digit -> (h, w) float32 ink coverage of a brush or marker stroke."""
    side = int(28 * rng.uniform(6, 10))
    soft = upscale(digit, (side, side), Image.Resampling.BICUBIC)
    soft = blur(rank_filter(soft, 2 * int(rng.integers(2, 11)) + 1, grow=True), 2.0)
    ragged = soft + 0.25 * smooth_noise(soft.shape, (4, 4), rng)
    body = np.clip((ragged - 0.5) * 6 + 0.5, 0, 1)
    tex = streaks(body.shape, rng)
    if kind == "brush":
        gap = np.quantile(tex[body > 0.5], rng.uniform(0.15, 0.4)) if (body > 0.5).any() else -1.0
        cover = np.clip((tex - gap) * 8, 0, 1)
    else:
        cover = 0.75 + 0.25 * np.clip(tex, -1, 1)
        cover *= np.clip((tex + 0.85) * 8, 0, 1)  # a rare gap where the felt runs dry
    return blur(body * cover, 0.6)


def generate(images: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 ink-bright digits + (n,) labels -> n Samples, kinds in turn."""
    for i, (digit, label) in enumerate(zip(images, labels)):
        kind = KINDS[i % len(KINDS)]
        alpha = np.pad(stroke(digit, kind, rng), int(rng.uniform(5, 60)))
        if rng.random() < 0.5:
            ink = rng.uniform(0, 50, 3)
        else:
            ink = rng.permutation([rng.uniform(120, 220), rng.uniform(0, 90), rng.uniform(0, 60)])
        paper = rng.uniform(230, 255) - rng.uniform(0, 20, 3) * (rng.random() < 0.4)
        img = to_image(paint(alpha, ink, paper), noise=rng.uniform(0, 4), rng=rng)
        ext = "jpg" if rng.random() < 0.5 else "png"
        yield Sample(encode(img, ext, quality=int(rng.uniform(50, 95))), ext, int(label), kind)
