"""Shape an ink crop into the 28x28 MNIST form, and the shared final normalisation.

MNIST procedure: scale the digit's bounding box so its longer side is 20 px (aspect
kept, anti-aliased), then place it in 28x28 with its intensity centre of mass at
pixel (14, 14) (the mean centre of mass of the MNIST test set, in index coordinates).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from digit_classifier.preprocessing.components import run_bounds

SIDE = 28
BOX = 20
CENTRE = 14.0
#: Median MNIST stroke width in the 20 px box (2 * area / perimeter at 0.5), and the
#: band outside which a crop's strokes are thickened or thinned.
MNIST_STROKE = 2.9
#: Read-only 0..27 pixel indices (float32) for centres of mass.
_INDEX = np.arange(SIDE, dtype=np.float32)
_INDEX.flags.writeable = False
STROKE_BAND = (1.5, 5.5)


def filter3(x: np.ndarray, sign: int, size: int = 3) -> np.ndarray:
    """``size`` x ``size`` max (sign=1) or min (sign=-1) filter of (h, w) float ``x`` with
    edge padding -> (h, w) float32 (Pillow's rank filter, in C)."""
    rank = ImageFilter.MaxFilter(size) if sign > 0 else ImageFilter.MinFilter(size)
    img = Image.fromarray(np.asarray(x, np.float32), mode="F")
    return np.asarray(img.filter(rank), np.float32)


def dilate(mask: np.ndarray, size: int) -> np.ndarray:
    """Boolean (h, w) ``mask`` grown by a ``size`` x ``size`` square (odd ``size``)."""
    r = size // 2
    h, w = mask.shape
    wide = np.zeros((h + 2 * r, w + 2 * r), bool)
    wide[r:r + h, r:r + w] = mask
    return _any_in_window(_any_in_window(wide, size, 0), size, 1)  # separable


def pool_any(mask: np.ndarray, step: int) -> np.ndarray:
    """Boolean (h, w) ``mask`` -> (ceil(h/step), ceil(w/step)): any pixel set in each block."""
    if step == 1:
        return mask
    h, w = mask.shape
    padded = np.zeros((-(-h // step) * step, -(-w // step) * step), bool)
    padded[:h, :w] = mask
    return padded.reshape(padded.shape[0] // step, step, padded.shape[1] // step, step).any(axis=(1, 3))


def _any_in_window(x: np.ndarray, n: int, axis: int) -> np.ndarray:
    """out[i] = any(x[i:i + n]) along ``axis`` (0 or 1; the length shrinks by n - 1), in
    O(log n) steps: windows doubled (1, 2, 4, ...), and those the binary digits of ``n``
    name joined end to end."""
    length = x.shape[axis] - n + 1
    out, offset, width = None, 0, 1
    while n:
        if n & 1:
            piece = x[offset:offset + length] if axis == 0 else x[:, offset:offset + length]
            out = piece if out is None else out | piece
            offset += width
        n >>= 1
        if n:  # x[i] = any of ``width`` values from i -> any of 2 * width
            x = (x[:-width] | x[width:]) if axis == 0 else (x[:, :-width] | x[:, width:])
            width *= 2
    return out


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width (px) of boolean ``mask``: 2 * area / boundary length."""
    area = int(np.count_nonzero(mask))
    if area == 0:
        return 0.0
    h, w = mask.shape
    p = np.zeros((h + 2, w + 2), bool)
    p[1:-1, 1:-1] = mask
    inner = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    boundary = int(np.count_nonzero(mask & ~inner))
    return 2.0 * area / max(boundary, 1)


def run_width(mask: np.ndarray) -> float:
    """Stroke width (px) of boolean (h, w) ``mask`` as the lower quartile of the lengths
    of its horizontal and vertical runs.

    Runs across a stroke are as long as it is wide; runs along a stroke or through a
    loop the pen has filled in are longer. The lower quartile keeps the first kind even
    when a filled blob supplies many of the runs, where the mean (``stroke_width``) is
    pulled up. 0 if ``mask`` is empty.
    """
    lengths = []
    for m in (mask, mask.T):
        _, start, stop = run_bounds(m)
        lengths.append(stop - start)
    runs = np.concatenate(lengths)
    return float(np.percentile(runs, 25)) if runs.size else 0.0


def normalise_stroke(crop: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Thicken or thin (h, w) ``crop`` when its strokes, seen at the 20 px box scale,
    lie outside the MNIST band; within the band it is returned unchanged."""
    scale = BOX / max(crop.shape)
    width_px = stroke_width(mask)
    lo, hi = STROKE_BAND
    if width_px * scale > hi:
        # Before thinning, make sure the strokes are thick and not just a filled loop
        # inflating the mean: thinning real thin strokes would erase them.
        width_px = min(width_px, run_width(mask))
    width = width_px * scale
    if width <= 0 or lo <= width <= hi:
        return crop
    steps = int(round(abs(MNIST_STROKE - width) / scale / 2))  # each 3x3 pass: +-2 px
    sign = 1 if width < lo else -1
    if sign < 0:
        steps = min(steps, max(0, int(width_px / 2) - 1))  # never erase strokes
    for _ in range(min(steps, 64)):
        crop = filter3(crop, sign)
    return crop


def _float_image(x: np.ndarray) -> Image.Image:
    """(h, w) float array -> Pillow "F" image over the same float32 bytes (no copy when
    ``x`` is already C-contiguous float32; cheaper than ``Image.fromarray``)."""
    x = np.ascontiguousarray(x, np.float32)
    return Image.frombuffer("F", (x.shape[1], x.shape[0]), x, "raw", "F", 0, 1)


def _float_array(img: Image.Image) -> np.ndarray:
    """Pillow "F" image -> read-only (h, w) float32 array (one copy out of Pillow)."""
    return np.frombuffer(img.tobytes(), np.float32).reshape(img.height, img.width)


def fit_box(crop: np.ndarray) -> np.ndarray:
    """Scale (h, w) float ``crop`` so its longer side is 20 px -> (h', w') float32 in [0, 1]."""
    h, w = crop.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # BOX averages exactly when shrinking (MNIST's anti-aliasing); LANCZOS when enlarging.
    method = Image.Resampling.BOX if scale < 1 else Image.Resampling.LANCZOS
    out = np.maximum(_float_array(_float_image(crop).resize(size, method)), 0.0)
    return np.minimum(out, 1.0, out=out)


def close_gaps(image20: np.ndarray) -> np.ndarray:
    """(h, w) float ``image20`` in [0, 1] at the 20 px box scale -> (h, w) float32 in [0, 1],
    closed by a 3x3 grey closing (max filter, then min filter): gaps and holes up to 2 px
    wide fill in.

    At this scale a polka-dot or hatched fill, the counter of an outlined stroke and a
    dry-brush gap are 1-2 px, while an MNIST stroke's gaps (a "4"'s open top, a "6"'s
    loop) are wider and stay open. Zero-padded, so ink at the edge is not eroded; shifted
    NumPy maxima and minima (separable), cheaper than two Pillow filters on a 20 px image."""
    h, w = image20.shape
    x = np.zeros((h + 4, w + 4), np.float32)
    x[2:-2, 2:-2] = image20
    return _square3(_square3(x, np.maximum), np.minimum)   # (h + 2, w + 2), then (h, w)


def solid_share(image20: np.ndarray) -> float:
    """Share of the ink pixels (> 0.5) of (h, w) ``image20`` whose whole 3x3 neighbourhood
    is ink (paper round the image): near 0 for thin, dotted, hatched or outlined strokes,
    high for a broad marker's solid strokes. 0.0 when there is no ink."""
    ink = image20 > 0.5
    count = int(ink.sum())
    if count == 0:
        return 0.0
    h, w = ink.shape
    x = np.zeros((h + 2, w + 2), bool)
    x[1:-1, 1:-1] = ink
    inside = _square3(x, np.minimum)     # (h, w)
    return float(inside.sum()) / count


def _square3(x: np.ndarray, pick) -> np.ndarray:
    """``pick`` (np.maximum or np.minimum) over each full 3x3 window of (h, w) ``x`` ->
    (h - 2, w - 2), separable."""
    return _extreme3(_extreme3(x, pick, 1), pick, 0)


def _extreme3(x: np.ndarray, pick, axis: int) -> np.ndarray:
    """``pick`` (np.maximum or np.minimum) over 3 neighbours along ``axis``: the result is
    2 shorter along it (only full windows)."""
    a, b, c = ((x[:-2], x[1:-1], x[2:]) if axis == 0 else (x[:, :-2], x[:, 1:-1], x[:, 2:]))
    return pick(pick(a, b), c)


def place_by_mass(digit: np.ndarray) -> np.ndarray:
    """Put (h, w) ``digit`` (h, w <= 28) in a 28x28 canvas with its centre of mass at
    (14, 14), rounded to whole pixels and clamped so nothing is cut -> (28, 28) float32."""
    h, w = digit.shape
    total = float(digit.sum())
    if total <= 0:
        cy, cx = (h - 1) / 2, (w - 1) / 2
    else:
        cy = float(digit.sum(axis=1) @ _INDEX[:h]) / total
        cx = float(digit.sum(axis=0) @ _INDEX[:w]) / total
    top = min(max(round(CENTRE - cy), 0), SIDE - h)
    left = min(max(round(CENTRE - cx), 0), SIDE - w)
    out = np.zeros((SIDE, SIDE), np.float32)
    out[top:top + h, left:left + w] = digit
    return out


def deskew(images: np.ndarray) -> np.ndarray:
    """Moment-based deskew of a (n, 28, 28) float batch, fully vectorised.

    For each image, alpha = mu11 / mu02 (covariance of row and column over variance of
    rows); output(r, c) = input(r, c + alpha * (r - r_mean)) by bilinear sampling with
    zeros outside, i.e. a horizontal shear about the centroid that removes the slant.
    Blank images pass through unchanged. Returns (n, 28, 28) float32.
    """
    x = images.astype(np.float32, copy=False)
    n, h, w = x.shape
    r = np.arange(h, dtype=np.float32)
    c = np.arange(w, dtype=np.float32)
    row_mass, col_mass = x.sum(axis=2), x.sum(axis=1)    # (n, h), (n, w)
    total = row_mass.sum(axis=1)
    safe = np.maximum(total, 1e-6)
    dr = r - (row_mass @ r / safe)[:, None]              # (n, h)
    dc = c - (col_mass @ c / safe)[:, None]              # (n, w)
    mu02 = (row_mass * dr * dr).sum(axis=1) / safe
    mu11 = (np.matmul(x, dc[:, :, None])[:, :, 0] * dr).sum(axis=1) / safe
    alpha = np.where((total > 0) & (mu02 > 1e-3), mu11 / np.maximum(mu02, 1e-3), 0.0)
    # Every row shifts by one amount, so bilinear sampling is a gather of two
    # neighbouring columns per row with one blend weight per row.
    shift = np.clip(alpha[:, None] * dr, -(w + 1), w + 1).reshape(n * h)
    k = np.floor(shift)
    frac = (shift - k).astype(np.float32)[:, None]
    framed = np.zeros((n * h, w + 2), np.float32)        # one zero column each side
    framed[:, 1:-1] = x.reshape(n * h, w)
    # Columns k+1 .. k+1+w of each framed row hold both the left (first w) and right
    # (last w) samples; indices past either end land on the zero columns (0 outside).
    # One flat ``take`` is several times faster than ``take_along_axis`` on 2-D indices.
    idx = np.clip(k.astype(np.intp)[:, None] + 1 + np.arange(w + 1), 0, w + 1)
    idx += (np.arange(n * h) * (w + 2))[:, None]
    both = np.take(framed.reshape(-1), idx)
    return (both[:, :-1] * (1 - frac) + both[:, 1:] * frac).reshape(n, h, w)


#: ``deskew_one`` shifts rows inside a zero frame wide enough for any clamped shift
#: (|k| <= 29), so no index needs clipping: sampling outside the image reads a zero.
_PAD = SIDE + 2
#: Read-only (28, 28) flat indices of pixel (r, c) in the (28, 28 + 2 * _PAD) frame,
#: before adding a row's shift.
_GATHER_BASE = np.arange(SIDE)[:, None] * (SIDE + 2 * _PAD) + np.arange(SIDE)[None, :]
_GATHER_BASE.flags.writeable = False


def deskew_one(image: np.ndarray) -> np.ndarray:
    """``deskew`` of one (28, 28) float32 image -> (28, 28) float32, with a handful of
    NumPy calls (serving predicts one image per request; the batch version's fixed
    cost dominates there). Agrees with ``deskew(image[None])[0]`` to float32 rounding."""
    x = np.asarray(image, np.float32)
    row_mass, col_mass = x.sum(axis=1), x.sum(axis=0)
    total = row_mass.sum()
    safe = max(total, np.float32(1e-6))
    dr = _INDEX - (row_mass @ _INDEX) / safe
    mu02 = (row_mass @ (dr * dr)) / safe
    if not (total > 0 and mu02 > 1e-3):
        return x.copy()  # alpha = 0: the batch version's shear is the identity
    dc = _INDEX - (col_mass @ _INDEX) / safe
    alpha = ((dr @ x) @ dc / safe) / mu02
    shift = np.minimum(np.maximum(alpha * dr, -(SIDE + 1)), SIDE + 1)
    k = np.floor(shift)
    frac = (shift - k)[:, None]
    framed = np.zeros((SIDE, SIDE + 2 * _PAD), np.float32)
    framed[:, _PAD:_PAD + SIDE] = x
    # Row r reads image columns c + k_r (left) and c + k_r + 1 (right).
    idx = _GATHER_BASE + (k.astype(np.intp) + _PAD)[:, None]
    flat = framed.reshape(-1)
    return flat[idx] * (1 - frac) + flat[idx + 1] * frac


def finish_one(image: np.ndarray, deskew_image: bool) -> np.ndarray:
    """``prepare_mnist``'s step for one (28, 28) float32 image already in [0, 1] (the
    placing stage's own output, so the range check is skipped) -> (28, 28) float32 in [0, 1]."""
    if not deskew_image:
        return image
    one = deskew_one(image)
    return np.minimum(np.maximum(one, 0.0, out=one), 1.0, out=one)


def prepare_mnist(images: np.ndarray, deskew_images: bool = False,
                  chunk: int = 8192) -> np.ndarray:
    """Final normalisation shared by training and serving.

    ``images``: (n, 28, 28) uint8 in [0, 255] or float in [0, 1], ink bright.
    Returns (n, 784) float32 in [0, 1]; with ``deskew_images`` each image is deskewed.
    """
    arr = np.asarray(images)
    if arr.ndim != 3 or arr.shape[1:] != (SIDE, SIDE):
        raise ValueError(f"images must have shape (n, 28, 28); got {arr.shape}")
    if arr.dtype == np.uint8:
        x = arr.astype(np.float32) / np.float32(255.0)
    elif np.issubdtype(arr.dtype, np.floating):
        x = arr.astype(np.float32)
        # NaN fails both comparisons (min/max propagate it) and +-inf fails one.
        if x.size and not (x.min() >= 0.0 and x.max() <= 1.0):
            raise ValueError("float images must be finite and in [0, 1]; got range "
                             f"[{np.nanmin(x)}, {np.nanmax(x)}]")
    else:
        raise ValueError(f"images must be uint8 or float; got dtype {arr.dtype}")
    if deskew_images and len(x) == 1:
        x = finish_one(x[0], True)[None]
    elif deskew_images:
        x = np.concatenate([deskew(x[i:i + chunk]) for i in range(0, len(x), chunk)]
                           or [x])
        x = np.clip(x, 0.0, 1.0)
    return x.reshape(len(x), SIDE * SIDE)
