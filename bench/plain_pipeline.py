"""A plain MNIST-style preprocessing baseline: bounding box -> 20 px -> centre of mass in 28x28.

Deliberately simple, so ``bench/compare_pipelines.py`` can show where the package's
rules help and where they misfire. No ink maps, no components, no rule removal.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist

#: Smallest (max - min) grey spread, in [0, 1], that is not a blank image.
MIN_SPREAD = 0.02
#: Ink threshold for the bounding box, as a fraction of the background-to-ink range.
BOX_THRESHOLD = 0.5


def _grey(source) -> np.ndarray:
    """Decode (EXIF applied) -> (h, w) float32 grey in [0, 1]. Transparency is
    composited over the colour opposite to the opaque pixels' mean grey (white under
    dark strokes, black under light ones), so a transparent canvas keeps its strokes."""
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    img = source if isinstance(source, Image.Image) else Image.open(source)
    img = ImageOps.exif_transpose(img)
    rgba = np.asarray(img.convert("RGBA"), np.float32) / 255.0
    grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    alpha = rgba[..., 3]
    if alpha.min() < 1.0:
        opaque = alpha > 0.5
        backdrop = 1.0 - round(float(grey[opaque].mean())) if opaque.any() else 1.0
        grey = grey * alpha + backdrop * (1.0 - alpha)
    return grey


def plain_preprocess(source, config: PreprocessConfig = PreprocessConfig()) -> np.ndarray:
    """Any image (bytes, path, file object, PIL image) -> (784,) float32 in [0, 1], ink bright.

    Steps: grey; polarity from the border (if the 1-px border ring is brighter than the
    image mean, invert); min/max scale to [0, 1]; subtract the border's median as the
    background; bounding box of pixels above ``BOX_THRESHOLD`` (0.5 of the range); crop;
    longer side to 20 px (LANCZOS, anti-aliased); integer shift putting the intensity
    centre of mass at (14, 14); ``prepare_mnist`` with ``config`` (deskew as the model's).
    Raises ValueError only for a blank image (grey spread below ``MIN_SPREAD``).
    """
    g = _grey(source)
    ring = np.concatenate([g[0], g[-1], g[1:-1, 0], g[1:-1, -1]])
    if ring.mean() > g.mean():
        g, ring = 1.0 - g, 1.0 - ring
    lo, hi = float(g.min()), float(g.max())
    if hi - lo < MIN_SPREAD:
        raise ValueError(f"blank image: grey spread {hi - lo:.3f} < {MIN_SPREAD}")
    g = (g - lo) / (hi - lo)
    bg = float(np.median((ring - lo) / (hi - lo)))
    g = np.clip((g - bg) / max(1.0 - bg, 1e-6), 0.0, 1.0)
    rows, cols = np.nonzero(g > BOX_THRESHOLD)
    if rows.size == 0:
        raise ValueError("blank image: no pixel above the ink threshold after background removal")
    crop = g[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    box = np.asarray(Image.fromarray(crop, "F").resize(size, Image.Resampling.LANCZOS), np.float32)
    box = np.clip(box, 0.0, 1.0)
    total = float(box.sum()) or 1.0
    cy = float((box.sum(axis=1) * np.arange(box.shape[0])).sum()) / total
    cx = float((box.sum(axis=0) * np.arange(box.shape[1])).sum()) / total
    canvas = np.zeros((28 * 3, 28 * 3), np.float32)  # room for any shift, then the middle
    top, left = 28 + int(round(14 - cy)), 28 + int(round(14 - cx))
    canvas[top:top + box.shape[0], left:left + box.shape[1]] = box
    return prepare_mnist(canvas[None, 28:56, 28:56], config)[0]
