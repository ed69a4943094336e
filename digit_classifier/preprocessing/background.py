"""Background flattening: remove smooth uneven lighting from an ink-bright plane."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

def _edge_padded(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """(h, w) copy of (h0 <= h, w0 <= w) ``x`` extended by repeating its last row/column."""
    h0, w0 = x.shape
    out = np.empty((h, w), x.dtype)
    out[:h0, :w0] = x
    out[h0:, :w0] = x[-1]
    out[:, w0:] = out[:, w0 - 1:w0]
    return out


def _window(grid: np.ndarray, size: int, op) -> np.ndarray:
    """``size`` x ``size`` minimum (``op=np.minimum``) or maximum (``np.maximum``) filter
    of a small (h, w) grid, edges repeated (separable). Repeated edge values are already
    in the window, so the window is simply clipped at the edges: no padded copy."""
    r = size // 2
    rows = grid.copy()
    for k in range(1, r + 1):
        op(rows[k:], grid[:-k], out=rows[k:])
        op(rows[:-k], grid[k:], out=rows[:-k])
    out = rows.copy()
    for k in range(1, r + 1):
        op(out[:, k:], rows[:, :-k], out=out[:, k:])
        op(out[:, :-k], rows[:, k:], out=out[:, :-k])
    return out


@lru_cache(maxsize=64)
def _band(n: int, size: int) -> np.ndarray:
    """Read-only (n, n) float32 matrix with ones where |i - j| <= size // 2: ``B @ v`` sums
    ``v`` over a window of ``size`` clipped at the ends."""
    i = np.arange(n)
    band = (np.abs(i[:, None] - i[None, :]) <= size // 2).astype(np.float32)
    band.flags.writeable = False
    return band


#: The background grid has this many blocks along the picture's longer side ...
BACKGROUND_BLOCKS = 32
#: ... and an opening (minimum, then maximum) over this many blocks square removes the
#: strokes from it: wide enough for a marker stroke or a scaled-up 8x8 digit's (2 of 8
#: cells, 25% of the side), while a shadow's edge keeps its place (docs/preprocessing.md).
BACKGROUND_WINDOW = 9


def block_size(h: int, w: int, blocks: int = BACKGROUND_BLOCKS) -> int:
    """Side (px) of the square blocks that put ``blocks`` along the longer side of an
    (h, w) picture, 4 at least."""
    return max(4, int(np.ceil(max(h, w) / blocks)))


def _block_background(x: np.ndarray, blocks: int = BACKGROUND_BLOCKS) -> np.ndarray | float:
    """Smooth background estimate of ink-bright (h, w) ``x``: per-block 20th percentile,
    a ``BACKGROUND_WINDOW``-block opening (the minimum drops even thick strokes, the
    maximum after it puts the edges of shadows and lit areas back where they were),
    bilinear upsampling. A uniform estimate comes back as one float (no upsampling)."""
    h, w = x.shape
    bs = block_size(h, w, blocks)
    gh, gw = -(-h // bs), -(-w // bs)
    padded = x if (gh * bs, gw * bs) == (h, w) else _edge_padded(x, gh * bs, gw * bs)
    pos = 0.2 * (bs * bs - 1)
    k = int(pos)
    if _uniform_floor(padded, bs, k + 1 if pos == k else k + 2):
        return float(padded.min())
    tiles = padded.reshape(gh, bs, gw, bs).transpose(0, 2, 1, 3).reshape(gh, gw, bs * bs)
    part = np.partition(tiles, (k, k + 1), axis=2)
    lo, hi = part[:, :, k], part[:, :, k + 1]
    grid = (lo + (hi - lo) * np.float32(pos - k)).astype(np.float32)
    grid = _opening(grid)
    if grid.max() == grid.min():
        return float(grid[0, 0])
    return upsample_grid(grid, bs, h, w)


def upsample_grid(grid: np.ndarray, bs: int, h: int, w: int) -> np.ndarray:
    """(gh, gw) float32 grid of ``bs`` px blocks -> (h, w) float32, bilinear: block centres
    map to pixel centres (the grid is scaled to the padded size, then cropped)."""
    gh, gw = grid.shape
    img = Image.fromarray(np.asarray(grid, np.float32), mode="F")
    return np.asarray(img.resize((gw * bs, gh * bs), Image.Resampling.BILINEAR), np.float32)[:h, :w]


def _opening(grid: np.ndarray) -> np.ndarray:
    """``BACKGROUND_WINDOW``-block opening (minimum, then maximum) of the (gh, gw) grid.

    The window is clipped at the picture's edges, but where the grid rises toward an edge
    as light falling off into a corner does (``_edge_ramps``), it is first carried on past
    that edge by its own slope. Clipped, the minimum there came from further in, the
    opening cut the shade of the corners off the background and left it as faint ink: a
    vignetted page's darker corners were read as the digit (docs/preprocessing.md)."""
    r = BACKGROUND_WINDOW // 2
    extended = _edge_ramps(grid, r)
    clipped = np.isinf(extended)          # nothing carried on: as if the window stopped there
    low = _window(extended, BACKGROUND_WINDOW, np.minimum)
    low[clipped] = -np.inf
    return _window(low, BACKGROUND_WINDOW, np.maximum)[r:-r, r:-r]


#: A ramp carried on past an edge rises toward it at every one of the last
#: ``BACKGROUND_WINDOW // 2`` one-block steps, and by no more than this per step: light
#: falling off rises by 0.01-0.04 a block (vignetted pages, probe in docs/preprocessing.md),
#: a stroke or a table's edge by far more in one step.
MAX_RAMP_STEP = 0.06


def _edge_ramps(grid: np.ndarray, r: int) -> np.ndarray:
    """(gh, gw) grid -> (gh + 2r, gw + 2r) float32: the grid in the middle, and in the
    ``r``-block margins each row or column carried on past its edge by its slope there
    (``_ramp``); +inf where it has none, and in the corners."""
    gh, gw = grid.shape
    out = np.full((gh + 2 * r, gw + 2 * r), np.inf, np.float32)
    out[r:-r, r:-r] = grid
    steps = np.arange(1, r + 1, dtype=np.float32)
    k = min(r, gh - 1)
    if k >= 1:
        top, bottom = _ramp(grid[k::-1]), _ramp(grid[-k - 1:])
        out[:r, r:-r] = np.where(top > 0, grid[0] + top * steps[::-1, None], np.inf)
        out[-r:, r:-r] = np.where(bottom > 0, grid[-1] + bottom * steps[:, None], np.inf)
    k = min(r, gw - 1)
    if k >= 1:
        left, right = _ramp(grid[:, k::-1].T), _ramp(grid[:, -k - 1:].T)
        out[r:-r, :r] = np.where(left[:, None] > 0, grid[:, :1] + left[:, None] * steps[::-1], np.inf)
        out[r:-r, -r:] = np.where(right[:, None] > 0, grid[:, -1:] + right[:, None] * steps, np.inf)
    return out


def _ramp(lines: np.ndarray) -> np.ndarray:
    """(k + 1, m) grid values along m lines, the last row at the picture's edge -> (m,)
    slope per block toward the edge: the smallest step where every step rises by at most
    ``MAX_RAMP_STEP``, else 0."""
    steps = np.diff(lines, axis=0)
    ramp = (steps > 0).all(axis=0) & (steps <= MAX_RAMP_STEP).all(axis=0)
    return np.where(ramp, steps.min(axis=0), 0.0).astype(np.float32)


def _uniform_floor(padded: np.ndarray, bs: int, need: int) -> bool:
    """True when the block background of (gh * bs, gw * bs) ``padded`` is sure to be
    its global minimum m everywhere (clean paper, canvases, MNIST).

    A "floor tile" holds at least ``need`` pixels at m: its k-th smallest value is m
    and, when the percentile interpolates, so is the (k + 1)-th, so its 20th
    percentile is exactly m. No percentile is below m, so after the window minimum
    every block with a floor tile in its window is m. When that is every block, the
    maximum that follows keeps them all m and the background is the float m: the
    result of the partition over all tiles, for a compare and a sum.
    """
    gh, gw = padded.shape[0] // bs, padded.shape[1] // bs
    at_floor = (padded == padded.min()).reshape(gh, bs, gw * bs)
    # Per-tile counts in two single-axis sums: several times faster than one sum over
    # axes (1, 3) when the tiles are small (a 280 px canvas has 9 px tiles).
    floor_tile = at_floor.sum(axis=1, dtype=np.int32).reshape(gh, gw, bs).sum(axis=2) >= need
    if floor_tile.all():
        return True
    # The window minimum puts m in every block with a floor tile in its window: count the
    # floor tiles in each block's (clipped) window with two small band-matrix products.
    counts = _band(gh, BACKGROUND_WINDOW) @ floor_tile.astype(np.float32) @ _band(gw, BACKGROUND_WINDOW)
    return bool(counts.min() > 0)


def flatten(x: np.ndarray) -> np.ndarray:
    """Remove smooth background from ink-bright (h, w) ``x`` -> (h, w) float32 >= 0.

    The residual is divided by the local paper brightness (1 - background), since
    shading scales ink contrast multiplicatively on paper.
    """
    bg = _block_background(x)
    if isinstance(bg, float):  # uniform paper: one subtraction and one scale
        out = x - np.float32(bg)
        out *= np.float32(1.0 / max(1.0 - bg, 0.25))
    else:
        out = (x - bg) / np.maximum(1.0 - bg, 0.25)
    return np.maximum(out, 0.0, out=out)
