"""Marks of other tools for training batches: a dry brush or a broad marker, and the ink's contrast.

MNIST was written with one kind of pen and scanned one way. Users send broad marker
strokes, dry-brush strokes whose hairs leave paper between them, and scans or photos
whose ink ramps up harder or softer than MNIST's anti-aliasing. Each is drawn here for a
random share of a batch, on whole arrays (no loop over images).
Images travel as ``(n, 28, 28)`` float32 in [0, 1], ink bright on dark.
"""

from __future__ import annotations

import numpy as np

#: Stripe period (px) of a dry brush's hairs, drawn uniformly: at 28 px the gaps of a
#: dry-brush stroke fitted to 20 px are 1-2 px wide.
STRIPE_PERIOD = (2.5, 4.5)
#: Share of each period that keeps its ink, drawn uniformly.
STRIPE_DUTY = (0.5, 0.8)
#: Widening steps (3x3 maximum filters) before the stripes, one drawn per image: a brush
#: or a marker is broader than MNIST's pen.
MAX_WIDEN = 2
#: Range of the contrast exponent: levels become ``x ** gamma``, log-uniform in this range
#: (under 1 a harder, bolder ramp, as a thresholded scan; over 1 a softer, thinner one).
GAMMA_RANGE = (0.4, 2.5)


def max3(x: np.ndarray) -> np.ndarray:
    """3x3 maximum filter of (n, h, w) images (zero outside)."""
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    rows = np.maximum(np.maximum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
    return np.maximum(np.maximum(rows[:, :, :-2], rows[:, :, 1:-1]), rows[:, :, 2:])


def _widen(x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(m, h, w) images, each widened by its own number of 3x3 maximum filters ``steps`` (m,)."""
    out = x.copy()
    grown = x
    for k in range(1, int(steps.max(initial=0)) + 1):
        grown = max3(grown)
        out[steps >= k] = grown[steps >= k]
    return out


def stripes(m: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """(m, size, size) float32 masks of parallel stripes: 1 where a hair left ink, 0 between.

    Each mask has its own direction, period (``STRIPE_PERIOD``), duty (``STRIPE_DUTY``)
    and phase."""
    theta = rng.uniform(0.0, np.pi, m)[:, None, None]
    period = rng.uniform(*STRIPE_PERIOD, m)[:, None, None]
    duty = rng.uniform(*STRIPE_DUTY, m)[:, None, None]
    phase = rng.uniform(0.0, 1.0, m)[:, None, None]
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    across = (xs * np.cos(theta) + ys * np.sin(theta)) / period + phase   # periods across the hairs
    return ((across % 1.0) < duty).astype(np.float32)


def dry_brush(images: np.ndarray, prob: float, rng: np.random.Generator) -> np.ndarray:
    """Redraw a random ``prob`` share of the images as brush strokes: widened by 0 to
    ``MAX_WIDEN`` px, then cut by a dry brush's stripes on about half of them (always
    on those not widened).

    images -- (n, h, w) float32 in [0, 1], h == w; not modified
    returns   (n, h, w) float32: the same array when none is chosen, else a copy.
    """
    chosen = rng.random(images.shape[0]) < prob
    m = int(chosen.sum())
    if m == 0:
        return images
    out = images.copy()
    steps = rng.integers(0, MAX_WIDEN + 1, m)
    dry = (rng.random(m) < 0.5) | (steps == 0)     # a stroke left as it was is no draw
    wide = _widen(images[chosen], steps)
    if dry.any():
        wide[dry] *= stripes(int(dry.sum()), images.shape[1], rng)
    out[chosen] = wide
    return out


def ink_gamma(images: np.ndarray, prob: float, rng: np.random.Generator) -> np.ndarray:
    """Raise a random ``prob`` share of the images to a power drawn log-uniformly from
    ``GAMMA_RANGE``: the same strokes with a harder or softer ink ramp.

    images -- (n, h, w) float32 in [0, 1]; not modified
    returns   (n, h, w) float32 in [0, 1]: the same array when none is chosen, else a copy.
    """
    chosen = rng.random(images.shape[0]) < prob
    m = int(chosen.sum())
    if m == 0:
        return images
    out = images.copy()
    gamma = np.exp(rng.uniform(*np.log(GAMMA_RANGE), m)).astype(np.float32)[:, None, None]
    out[chosen] = np.power(images[chosen], gamma)
    return out
