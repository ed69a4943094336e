"""Vectorised loss of detail for training batches: low resolution and blur, as users' scans give.

A scanned or photographed digit that was only 8-16 px tall reaches the network as a
smooth, blocky 20 px digit; a defocused photo as a blurred one. Both are linear and
separable, so each is one (28, 28) matrix ``R`` applied as ``R @ image @ R.T``: a
stacked matrix product over all images that share a matrix, never a loop over images.
After the product each image is rescaled so its brightest pixel is 1 again, as the
preprocessing rescales ink to full strength before the network sees it.
Images travel as ``(n, 28, 28)`` float32 in [0, 1], ink bright on dark.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SIZE = 28
#: Sides (px) the whole 28 px frame is shrunk to before it is scaled back up; the
#: 20 px digit box then spans about 0.71 x side: 8 px of digit for side 11.
LOWRES_SIDES = (11, 12, 14, 16, 18, 20, 22)
#: Gaussian blur widths (px, standard deviation) drawn uniformly from.
BLUR_LEVELS = (0.6, 0.8, 1.0, 1.2)


def area_matrix(src: int, dst: int) -> np.ndarray:
    """(dst, src) float64 matrix averaging ``src`` samples into ``dst`` equal cells (box filter)."""
    edges = np.linspace(0.0, src, dst + 1)
    left = np.arange(src, dtype=np.float64)
    overlap = np.clip(np.minimum(edges[1:, None], left[None, :] + 1)
                      - np.maximum(edges[:-1, None], left[None, :]), 0.0, None)
    return overlap / overlap.sum(axis=1, keepdims=True)


def linear_matrix(src: int, dst: int) -> np.ndarray:
    """(dst, src) float64 matrix of linear interpolation from ``src`` to ``dst`` samples
    (pixel centres aligned, edges clamped), as a scanner's bilinear upscaling does."""
    pos = np.clip((np.arange(dst) + 0.5) * src / dst - 0.5, 0.0, src - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, src - 1)
    frac = pos - lo
    m = np.zeros((dst, src))
    m[np.arange(dst), lo] += 1.0 - frac
    m[np.arange(dst), hi] += frac
    return m


def gaussian_blur_matrix(size: int, sigma: float) -> np.ndarray:
    """(size, size) float64 matrix of a Gaussian blur of ``sigma`` px, rows normalised
    (edges keep their brightness; the digit's black border makes that moot)."""
    d = np.arange(size)[:, None] - np.arange(size)[None, :]
    g = np.exp(-(d * d) / (2.0 * sigma * sigma))
    return g / g.sum(axis=1, keepdims=True)


@lru_cache(maxsize=None)
def degrade_matrices() -> np.ndarray:
    """(k, 28, 28) float32: every low-resolution matrix, then every blur matrix."""
    lowres = [linear_matrix(side, SIZE) @ area_matrix(SIZE, side) for side in LOWRES_SIDES]
    blur = [gaussian_blur_matrix(SIZE, sigma) for sigma in BLUR_LEVELS]
    return np.stack(lowres + blur).astype(np.float32)


def degrade(images: np.ndarray, lowres_prob: float, blur_prob: float,
            rng: np.random.Generator) -> np.ndarray:
    """Shrink-and-enlarge a ``lowres_prob`` share of the images and blur a ``blur_prob`` share.

    images -- (n, 28, 28) float32 in [0, 1], ink bright; not modified
    returns   (n, 28, 28) float32 in [0, 1]: the same array when nothing was drawn, else a copy.
    An image gets at most one of the two; draws come from ``rng`` only when a probability is > 0.
    """
    if lowres_prob <= 0 and blur_prob <= 0:
        return images
    if images.shape[1:] != (SIZE, SIZE):
        raise ValueError(f"degrade expects (n, {SIZE}, {SIZE}) images, got shape {images.shape}")
    n = images.shape[0]
    u = rng.random(n)
    n_low = len(LOWRES_SIDES)
    which = np.full(n, -1)
    low = u < lowres_prob
    blur = (u >= lowres_prob) & (u < lowres_prob + blur_prob)
    which[low] = rng.integers(0, n_low, int(low.sum()))
    which[blur] = n_low + rng.integers(0, len(BLUR_LEVELS), int(blur.sum()))
    if not (which >= 0).any():
        return images
    out = images.copy()
    matrices = degrade_matrices()
    for k in np.unique(which[which >= 0]):   # a loop over the few matrices, not over images
        chosen = which == k
        r = matrices[k]
        out[chosen] = r @ images[chosen] @ r.T
    touched = which >= 0
    peak = out[touched].max(axis=(1, 2), keepdims=True)
    out[touched] = np.clip(out[touched] / np.maximum(peak, 1e-6), 0.0, 1.0)
    return out
