"""Set (d) ``outline``: hollow (outlined) and pattern-filled digits, from MNIST and from fonts.

A digit mask comes from an MNIST test digit (scaled 6-10x, bicubic, thickened, thresholded
at 0.5) or from a bold-ish font glyph (``fonts.render_glyph``, the split's families).
Then one of four fills:

- ``outline``: mask minus the mask eroded by 2-5 px (a hollow digit);
- ``dots``: the mask with a grid of paper-coloured polka dots punched out, half the time
  with an outline around it;
- ``stripes``: parallel stripes (any angle) inside the mask, plus the outline;
- ``hatch``: cross-hatching inside the mask, plus the outline.

Ink is black or a saturated colour, the paper white or light. PNG, 25 % JPEG.
Kind = source and fill, e.g. ``mnist_outline``, ``font_dots``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image

from .common import Sample, blur, encode, paint, rank_filter, to_image, upscale
from .fonts import render_glyph

FILLS = ("outline", "dots", "stripes", "hatch")


def mnist_mask(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(28, 28) uint8 digit -> (h, w) bool mask, 6-10x larger, strokes thickened so a
    hollow digit has room inside."""
    side = int(28 * rng.uniform(6, 10))
    soft = upscale(digit, (side, side), Image.Resampling.BICUBIC)
    grow = 2 * int(rng.integers(2, 6)) + 1
    return rank_filter(soft, grow, grow=True) > 0.5


def font_mask(label: int, fonts: dict[str, list[Path]], rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A glyph of ``label`` in a random family of ``fonts`` -> ((h, w) bool mask, family)."""
    family = sorted(fonts)[int(rng.integers(len(fonts)))]
    files = fonts[family]
    bold = [p for p in files if "bold" in p.name.lower() or "black" in p.name.lower()]
    path = (bold or files)[int(rng.integers(len(bold or files)))]
    alpha = render_glyph(str(label), path, int(rng.uniform(150, 280)), rng.uniform(0.1, 0.5),
                         rng.uniform(-5, 5))
    return alpha > 0.5, family


def pattern(shape: tuple[int, int], fill: str, rng: np.random.Generator) -> np.ndarray:
    """(h, w) bool pattern: ``dots`` (True on the dots), ``stripes`` or ``hatch`` (True on the lines)."""
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float32)
    period = rng.uniform(8, 18)
    if fill == "dots":
        cy = (yy + rng.uniform(0, period)) % period - period / 2
        cx = (xx + rng.uniform(0, period)) % period - period / 2
        return cy ** 2 + cx ** 2 < (rng.uniform(0.2, 0.35) * period) ** 2
    width = rng.uniform(0.25, 0.5) * period
    theta = rng.uniform(0, np.pi)
    lines = ((np.cos(theta) * xx + np.sin(theta) * yy) % period) < width
    if fill == "hatch":
        theta += np.pi / 2 + rng.uniform(-0.3, 0.3)
        lines |= ((np.cos(theta) * xx + np.sin(theta) * yy) % period) < width
    return lines


def fill_mask(mask: np.ndarray, fill: str, rng: np.random.Generator) -> np.ndarray:
    """(h, w) bool digit mask -> (h, w) float32 ink coverage for ``fill`` (see module doc)."""
    width = 2 * int(rng.integers(2, 6)) + 1
    ring = mask & ~(rank_filter(mask.astype(np.float32), width, grow=False) > 0.5)
    if fill == "outline":
        ink = ring
    elif fill == "dots":
        ink = mask & ~pattern(mask.shape, "dots", rng)
        ink |= ring if rng.random() < 0.5 else False
    else:
        ink = (mask & pattern(mask.shape, fill, rng)) | ring
    return blur(ink.astype(np.float32), 0.7)


def generate(images: np.ndarray, labels: np.ndarray, fonts: dict[str, list[Path]],
             rng: np.random.Generator) -> Iterator[Sample]:
    """(n, 28, 28) uint8 digits + (n,) labels + the split's fonts -> n Samples: even i
    from the MNIST digit, odd i from a font glyph of the same label; fills in turn."""
    for i, (digit, label) in enumerate(zip(images, labels)):
        fill = FILLS[(i // 2) % len(FILLS)]
        source = "mnist" if i % 2 == 0 else "font"
        mask = mnist_mask(digit, rng) if source == "mnist" else font_mask(int(label), fonts, rng)[0]
        mask = np.pad(mask, int(rng.uniform(0.05, 0.4) * max(mask.shape)))
        ink = np.zeros(3) if rng.random() < 0.4 else rng.permutation([rng.uniform(150, 230), rng.uniform(0, 80), rng.uniform(0, 120)])
        paper = rng.uniform(225, 255) - rng.uniform(0, 15, 3) * (rng.random() < 0.3)
        img = to_image(paint(fill_mask(mask, fill, rng), ink, paper), noise=rng.uniform(0, 3), rng=rng)
        ext = "jpg" if rng.random() < 0.25 else "png"
        yield Sample(encode(img, ext, quality=int(rng.uniform(60, 95))), ext, int(label), f"{source}_{fill}")
