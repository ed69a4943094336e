"""Turn opaque float channels into an ink map: bright ink on a flat dark background.

Steps: pick the channel with the best ink/background contrast, decide the polarity
from the border, remove smooth uneven lighting, and threshold (Otsu + noise floor).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of ``values`` (any shape, float in [0, 1]) -> float in [0, 1]."""
    hist, edges = np.histogram(values, bins=bins, range=(0.0, 1.0))
    hist = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    s0 = np.cumsum(hist * centres)
    m0 = s0 / np.maximum(w0, 1e-12)
    m1 = (s0[-1] - s0) / np.maximum(w1, 1e-12)
    between = w0 * w1 * (m0 - m1) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def border_values(plane: np.ndarray, frac: float = 0.04) -> np.ndarray:
    """Pixels of the outer ring (``frac`` of each side, at least 1 px) of (h, w) ``plane``."""
    h, w = plane.shape
    bh, bw = max(1, int(h * frac)), max(1, int(w * frac))
    return np.concatenate([plane[:bh].ravel(), plane[-bh:].ravel(),
                           plane[:, :bw].ravel(), plane[:, -bw:].ravel()])


def ink_polarity(plane: np.ndarray) -> bool:
    """True when the ink is dark on a light background in (h, w) ``plane``.

    The background level is the border median; the ink is whichever extreme lies
    further from it.
    """
    bg = float(np.median(border_values(plane)))
    lo, hi = np.percentile(plane, [0.5, 99.5])
    return (bg - lo) > (hi - bg)


def _block_background(x: np.ndarray, blocks: int = 8) -> np.ndarray:
    """Smooth background estimate of ink-bright (h, w) ``x``: per-block 20th percentile,
    a 3x3-block minimum (so thick strokes do not leak in), bilinear upsampling."""
    h, w = x.shape
    bs = max(4, int(np.ceil(max(h, w) / blocks)))
    gh, gw = -(-h // bs), -(-w // bs)
    padded = np.pad(x, ((0, gh * bs - h), (0, gw * bs - w)), mode="edge")
    tiles = padded.reshape(gh, bs, gw, bs).transpose(0, 2, 1, 3).reshape(gh, gw, bs * bs)
    grid = np.percentile(tiles, 20, axis=2).astype(np.float32)
    ext = np.pad(grid, 1, mode="edge")
    grid = np.min([ext[i:i + gh, j:j + gw] for i in range(3) for j in range(3)], axis=0)
    img = Image.fromarray(grid, mode="F")
    # Block centres map to pixel centres: scale the grid to the padded size, then crop.
    big = np.asarray(img.resize((gw * bs, gh * bs), Image.Resampling.BILINEAR), np.float32)
    return big[:h, :w]


def flatten(x: np.ndarray) -> np.ndarray:
    """Remove smooth background from ink-bright (h, w) ``x`` -> (h, w) float32 >= 0.

    The residual is divided by the local paper brightness (1 - background), since
    shading scales ink contrast multiplicatively on paper.
    """
    bg = _block_background(x)
    return np.clip((x - bg) / np.maximum(1.0 - bg, 0.25), 0.0, None)


def _to_ink(plane: np.ndarray) -> np.ndarray:
    return 1.0 - plane if ink_polarity(plane) else plane


def ink_map(channels: np.ndarray, auto_channel: bool = True) -> np.ndarray:
    """Opaque (c, h, w) float channels -> (h, w) float32 ink map (ink bright, bg ~0).

    Candidates are the luminance and, with ``auto_channel``, each colour channel; the
    one whose flattened map (judged on a subsampled copy, for speed) has the clearly
    largest ink/background separation wins, so coloured ink on coloured paper keeps
    its contrast.
    """
    luma = np.tensordot(_LUMA, channels, axes=1) if channels.shape[0] == 3 else channels[0]
    best = luma
    step = max(1, max(luma.shape) // 160)
    sub = channels[:, ::step, ::step]
    if auto_channel and channels.shape[0] == 3 and np.abs(sub - sub.mean(axis=0)).max() > 0.08:
        best_score = _separation(flatten(_to_ink(luma[::step, ::step])))
        for plane in channels:
            score = _separation(flatten(_to_ink(plane[::step, ::step])))
            if score > best_score * 1.15:
                best, best_score = plane, score
    return flatten(_to_ink(best.astype(np.float32)))


def _separation(flat: np.ndarray) -> float:
    """Contrast between ink and background classes of ``flat``, relative to noise."""
    values = np.clip(flat, 0.0, 1.0)
    t = otsu_threshold(values)
    fg, bg = values[values > t], values[values <= t]
    if fg.size == 0 or bg.size == 0:
        return 0.0
    return float((fg.mean() - bg.mean()) / (bg.std() + 0.02))


def erase_rules(flat: np.ndarray, threshold: float) -> np.ndarray:
    """Subtract ruled lines from ink map (h, w) ``flat`` -> a new (h, w) map.

    A ruled line is a row (or column) whose ink, after a 3-row maximum to absorb a
    slight tilt, covers more than half of it and reaches both ends of it (within 5%),
    something handwriting with any margin never does. Its level (the row median) is
    subtracted, so strokes darker than the line survive where they cross it.
    Pictures under 48 px a side are returned unchanged.
    """
    if min(flat.shape) < 48:
        return flat
    out = flat.copy()
    for src, dst in ((flat, out), (flat.T, out.T)):
        padded = np.pad(src, ((1, 1), (0, 0)))
        vmax = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
        edge = max(1, int(0.05 * src.shape[1]))
        level = np.median(vmax, axis=1)
        rule = ((level > threshold) & (vmax[:, :edge].max(axis=1) > threshold)
                & (vmax[:, -edge:].max(axis=1) > threshold))
        dst[rule] = np.clip(dst[rule] - level[rule, None], 0.0, None)
    return out


def noise_sigma(flat: np.ndarray) -> float:
    """Robust background noise level of ``flat`` (median absolute deviation * 1.4826)."""
    med = np.median(flat)
    return float(np.median(np.abs(flat - med)) * 1.4826)


def ink_threshold(flat: np.ndarray) -> tuple[float, float]:
    """(threshold, ink level) of flattened ``flat``.

    The threshold is Otsu's, raised to sit clear of the noise floor and at a quarter
    of the ink level at least; the ink level is a high percentile of the pixels over it.
    """
    values = np.clip(flat, 0.0, 1.0)
    if values.size > 40000:  # thresholds need a histogram, not every pixel
        values = values.ravel()[:: values.size // 40000]
    peak = float(np.percentile(values, 99.9)) if values.size > 1000 else float(values.max())
    t = max(otsu_threshold(values), np.median(values) + 5 * noise_sigma(values), 0.25 * peak)
    above = values[values > t]
    level = float(np.percentile(above, 75)) if above.size else peak
    return t, max(level, t + 1e-3)
