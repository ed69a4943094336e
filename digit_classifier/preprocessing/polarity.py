"""Polarity: is the ink dark on light or light on dark, and the plane turned ink-bright."""

from __future__ import annotations

import numpy as np

from digit_classifier.preprocessing.background import flatten
from digit_classifier.preprocessing.stats import border_values, otsu_threshold, quantiles
from digit_classifier.preprocessing.threshold import ink_extremes

#: The border decides the polarity when one extreme lies further from the border's
#: median than the other by at least this fraction of the contrast.
POLARITY_MARGIN = 0.5


def ink_polarity(plane: np.ndarray, extremes: tuple[float, float] | None = None) -> bool:
    """True when the ink is dark on a light background in (h, w) ``plane``.

    The background level is the border median; the ink is whichever extreme
    (``ink_extremes(plane)``, or ``extremes`` when the caller already has them) lies
    clearly further. When neither does (a shadow or a lighting gradient across the
    border puts its median half-way), both readings are flattened and the one that
    leaves strokes standing out of a flat floor wins: read the wrong way round, the
    paper is "ink" that the background estimate removes, leaving only noise.
    """
    bg = float(quantiles(border_values(plane), 50))
    lo, hi = extremes if extremes is not None else ink_extremes(plane)
    margin = (bg - lo) - (hi - bg)
    if abs(margin) >= POLARITY_MARGIN * (hi - lo):
        return margin > 0
    step = max(1, max(plane.shape) // 160)
    sub = np.ascontiguousarray(plane[::step, ::step], np.float32)
    return separation(flatten(1.0 - sub)) >= separation(flatten(sub))


def to_ink(plane: np.ndarray, extremes: tuple[float, float] | None = None) -> np.ndarray:
    return 1.0 - plane if ink_polarity(plane, extremes) else plane


def separation(flat: np.ndarray) -> float:
    """Contrast between ink and background classes of ``flat``, relative to noise."""
    values = np.clip(flat, 0.0, 1.0)
    t = otsu_threshold(values)
    fg, bg = values[values > t], values[values <= t]
    if fg.size == 0 or bg.size == 0:
        return 0.0
    return float((fg.mean() - bg.mean()) / (bg.std() + 0.02))
