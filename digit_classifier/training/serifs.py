"""Printed-style ones for training: a flag at the top and sometimes a foot, drawn onto MNIST 1s.

MNIST's ones are almost all a single stroke, while printed digits and much European
handwriting give the 1 a flag (and type a foot): a network trained on MNIST alone reads
such a 1 as a 7. The flag starts at the stroke's top and runs down to the left; the foot
is a short bar across the stroke's bottom, square to the stroke. Everything is
done on whole arrays: the strokes are rasterised as points scattered with ``np.maximum.at``.
Images travel as ``(n, 28, 28)`` float32 in [0, 1], ink bright on dark.
"""

from __future__ import annotations

import numpy as np

#: Points sampled along each drawn segment (enough for a 28 px image without gaps).
POINTS = 24
#: Ink level that counts as the stroke when finding its two ends.
STROKE_LEVEL = 0.5


def _stroke_ends(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(top, bottom) points (m, 2) [y, x] of each image's ink: the mean column of the first
    and last rows holding ink."""
    ink = images > STROKE_LEVEL
    rows = ink.any(axis=2)                                    # (m, h)
    top = rows.argmax(axis=1)
    bottom = images.shape[1] - 1 - rows[:, ::-1].argmax(axis=1)
    cols = np.arange(images.shape[2], dtype=np.float32)
    picks = np.arange(len(images))

    def mean_col(r):
        line = ink[picks, r].astype(np.float32)              # (m, w)
        return (line * cols).sum(1) / np.maximum(line.sum(1), 1.0)

    return (np.stack([top, mean_col(top)], 1).astype(np.float32),
            np.stack([bottom, mean_col(bottom)], 1).astype(np.float32))


def _draw(out: np.ndarray, which: np.ndarray, start: np.ndarray, end: np.ndarray) -> None:
    """Draw segments start -> end (m, 2) onto images ``out[which]`` in place, 2 px wide."""
    t = np.linspace(0.0, 1.0, POINTS, dtype=np.float32)[None, :, None]
    pts = start[:, None, :] + t * (end - start)[:, None, :]  # (m, POINTS, 2)
    h, w = out.shape[1:]
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):          # a 2x2 pen, not a loop over images
        y = np.clip(np.rint(pts[..., 0] - 0.5 + dy).astype(int), 0, h - 1)
        x = np.clip(np.rint(pts[..., 1] - 0.5 + dx).astype(int), 0, w - 1)
        idx = np.broadcast_to(which[:, None], y.shape)
        np.maximum.at(out, (idx, y, x), 1.0)


def add_serifs(images: np.ndarray, labels: np.ndarray, prob: float,
               rng: np.random.Generator) -> np.ndarray:
    """Give a ``prob`` share of the ones (``labels == 1``) a flag; half of those a foot too.

    images -- (n, 28, 28) float32 in [0, 1], ink bright; not modified
    labels -- (n,) ints
    returns   (n, 28, 28) float32: the same array when no one was drawn on, else a copy.
    """
    chosen = np.flatnonzero((labels == 1) & (rng.random(len(labels)) < prob))
    if chosen.size == 0:
        return images
    out = images.copy()
    top, bottom = _stroke_ends(images[chosen])
    along = bottom - top
    length = np.maximum(np.linalg.norm(along, axis=1, keepdims=True), 1.0)
    down = along / length                                     # unit vector down the stroke
    left = np.stack([down[:, 1], -down[:, 0]], 1)              # its perpendicular, to the left
    # The flag falls at 40-55 degrees below the horizontal whatever the stroke's slant: a
    # flatter one would be a 7's bar.
    angle = np.deg2rad(rng.uniform(40.0, 55.0, (len(chosen), 1)))
    flag = rng.uniform(0.2, 0.32, (len(chosen), 1)) * length
    _draw(out, chosen, top, top + flag * np.concatenate([np.sin(angle), -np.cos(angle)], 1))
    footed = rng.random(len(chosen)) < 0.5
    if footed.any():
        half = rng.uniform(0.18, 0.3, (int(footed.sum()), 1)) * length[footed]
        _draw(out, chosen[footed], bottom[footed] + half * left[footed],
              bottom[footed] - half * left[footed])
    return out
