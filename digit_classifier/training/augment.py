"""Vectorised random distortions of whole training batches (affine, elastic, thickness,
hollow, marker and dry-brush strokes, low resolution and blur, ink contrast, inversion).

Every image of a batch gets its own random affine map (shift, rotation, scale, shear)
and its own smooth elastic displacement field (Simard, Steinkraus & Platt 2003). Both
are folded into ONE sampling grid, and the batch is resampled with ONE bilinear
interpolation done as four flat-index gathers; there is no Python loop over images.
Images travel as ``(n, 28, 28)`` float32 in [0, 1], ink bright on dark.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from digit_classifier.training.degrade import degrade
from digit_classifier.training.marks import dry_brush, ink_gamma, max3
from digit_classifier.training.serifs import add_serifs


@dataclass(frozen=True)
class AugmentConfig:
    """Strength of each random distortion; the all-zero default is the identity.

    max_shift        -- pixels; shifts drawn uniformly in [-max_shift, max_shift] per axis
    max_rotation     -- degrees; rotation drawn uniformly in [-max_rotation, max_rotation]
    max_scale        -- relative; scale drawn uniformly in [1 - max_scale, 1 + max_scale]
    max_shear        -- shear factor (x += k * y), drawn uniformly in [-max_shear, max_shear]
    elastic_alpha    -- pixels per unit field; scales the smoothed displacement field
    elastic_sigma    -- pixels; standard deviation of the Gaussian smoothing the field
    thickness_prob   -- fraction of images whose strokes are thickened or thinned (2x2 max/min)
    invert_prob      -- fraction of images turned into dark ink on a bright background
    lowres_prob      -- fraction of images shrunk to 11-22 px and scaled back (``degrade``)
    blur_prob        -- fraction of images blurred (Gaussian, 0.6-1.2 px; ``degrade``)
    hollow_prob      -- fraction of images drawn as outlines: strokes widened, their inside
                        cleared (outlined lettering, a marker's edge)
    serif_prob       -- fraction of the ones given a printed-style flag (and maybe a foot);
                        needs the labels (``add_serifs``)
    brush_prob       -- fraction of images redrawn as broad marker or dry-brush strokes
                        (``marks.dry_brush``)
    gamma_prob       -- fraction of images whose ink ramp is made harder or softer
                        (``marks.ink_gamma``)
    """

    max_shift: float = 0.0
    max_rotation: float = 0.0
    max_scale: float = 0.0
    max_shear: float = 0.0
    elastic_alpha: float = 0.0
    elastic_sigma: float = 4.0
    thickness_prob: float = 0.0
    invert_prob: float = 0.0
    lowres_prob: float = 0.0
    blur_prob: float = 0.0
    hollow_prob: float = 0.0
    serif_prob: float = 0.0
    brush_prob: float = 0.0
    gamma_prob: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"AugmentConfig.{f.name} must be a finite number >= 0, got {value!r}")
        for name in (f.name for f in fields(self) if f.name.endswith("_prob")):
            if getattr(self, name) > 1:
                raise ValueError(f"AugmentConfig.{name} must be <= 1, got {getattr(self, name)!r}")
        if self.max_scale >= 1:
            raise ValueError(f"AugmentConfig.max_scale must be < 1, got {self.max_scale!r}")
        if self.elastic_sigma <= 0:
            raise ValueError(f"AugmentConfig.elastic_sigma must be > 0, got {self.elastic_sigma!r}")
        if self.lowres_prob + self.blur_prob > 1:
            raise ValueError(f"AugmentConfig.lowres_prob + blur_prob must be <= 1, got "
                             f"{self.lowres_prob!r} + {self.blur_prob!r}")

    @property
    def is_identity(self) -> bool:
        """True when no distortion is enabled (augment_batch then returns a copy)."""
        # Every field is a strength, but for the elastic field's smoothness.
        return all(getattr(self, f.name) == 0 for f in fields(self) if f.name != "elastic_sigma")

    def to_dict(self) -> dict:
        """Plain-float dict, suitable for JSON and for the model file."""
        return {k: float(v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "AugmentConfig":
        """Inverse of to_dict; unknown keys raise ValueError naming them."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown AugmentConfig keys: {sorted(unknown)}")
        return cls(**{k: float(v) for k, v in d.items()})


def gaussian_matrix(size: int, sigma: float, stride: int = 1) -> np.ndarray:
    """(size, ceil(size / stride)) float32 matrix G: G @ v smooths and upsamples v.

    Column j is a normalised Gaussian of ``sigma`` pixels centred on pixel
    ``j * stride (+ offset)``; with stride 1 this is plain convolution, samples
    outside the image counting as zero (scipy's mode="constant", as in Simard's recipe).
    With stride s the columns are scaled by sqrt(s) so that s x s white noise at the
    coarse spacing yields the same field statistics as per-pixel noise.
    """
    coarse = -(-size // stride)
    offset = (size - 1 - (coarse - 1) * stride) / 2.0
    fine = np.arange(size, dtype=np.float64)
    centres = offset + stride * np.arange(coarse, dtype=np.float64)
    d2 = (fine[:, None] - centres[None, :]) ** 2
    g = np.exp(-d2 / (2.0 * sigma * sigma)) / (np.sqrt(2.0 * np.pi) * sigma) * np.sqrt(stride)
    return g.astype(np.float32)


def elastic_displacement(n: int, size: int, alpha: float, sigma: float,
                         rng: np.random.Generator) -> np.ndarray:
    """Random smooth displacement fields, (n, 2, size, size) float32 in pixels.

    Uniform noise in [-1, 1], smoothed by a separable Gaussian of ``sigma`` pixels
    (stacked matrix products over the whole batch), times ``alpha``. For sigma >= 2
    the noise is drawn on a grid of stride 2 and the same products upsample it:
    4x fewer random numbers, statistically the same smooth field. The field's
    per-axis standard deviation away from the border is about
    ``alpha / (sqrt(12 * pi) * sigma)`` and its correlation at lag d is exp(-d^2 / (4 sigma^2)).
    """
    stride = 2 if sigma >= 2 else 1
    g = gaussian_matrix(size, sigma, stride)
    m = g.shape[1]
    noise = rng.random((n * 2, m, m), dtype=np.float32)
    noise = noise * 2.0 - 1.0
    # Stacked matmul: field_k = G @ noise_k @ G.T for every k (smooth + upsample).
    field = g @ noise @ g.T
    return (alpha * field).reshape(n, 2, size, size)


def _inverse_affine(n: int, config: AugmentConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random per-image maps, returned as (inverse 2x2 matrices (n,2,2), shifts (n,2) [dy, dx])."""
    theta = np.deg2rad(rng.uniform(-config.max_rotation, config.max_rotation, n))
    scale = rng.uniform(1.0 - config.max_scale, 1.0 + config.max_scale, n)
    shear = rng.uniform(-config.max_shear, config.max_shear, n)
    shift = rng.uniform(-config.max_shift, config.max_shift, (n, 2))
    cos, sin = np.cos(theta), np.sin(theta)
    # Forward map on (y, x): rotation @ shear(x += k*y) @ scale.
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shr = np.zeros((n, 2, 2))
    shr[:, 0, 0] = shr[:, 1, 1] = 1.0
    shr[:, 1, 0] = shear
    fwd = rot @ shr * scale[:, None, None]
    det = fwd[:, 0, 0] * fwd[:, 1, 1] - fwd[:, 0, 1] * fwd[:, 1, 0]
    inv = np.stack([np.stack([fwd[:, 1, 1], -fwd[:, 0, 1]], -1),
                    np.stack([-fwd[:, 1, 0], fwd[:, 0, 0]], -1)], -2) / det[:, None, None]
    return inv.astype(np.float32), shift.astype(np.float32)


def _sampling_grid(n: int, size: int, config: AugmentConfig,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates (ys, xs), each (n, size, size) float32, for every output pixel."""
    centre = (size - 1) / 2.0
    coords = np.arange(size, dtype=np.float32) - centre
    inv, shift = _inverse_affine(n, config, rng)
    # dst = A (src - c) + c + t  =>  src = A^-1 (dst - c - t) + c
    py = coords[None, :, None] - shift[:, 0, None, None]      # (n, size, 1)
    px = coords[None, None, :] - shift[:, 1, None, None]      # (n, 1, size)
    ys = inv[:, 0, 0, None, None] * py + inv[:, 0, 1, None, None] * px + centre
    xs = inv[:, 1, 0, None, None] * py + inv[:, 1, 1, None, None] * px + centre
    if config.elastic_alpha > 0:
        field = elastic_displacement(n, size, config.elastic_alpha, config.elastic_sigma, rng)
        ys = ys + field[:, 0]
        xs = xs + field[:, 1]
    return ys, xs


def bilinear_sample(images: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Resample (n, h, w) images at source coordinates (n, h, w); zero outside the image.

    One zero-padded copy of the batch and four gathers with flat indices.
    """
    n, h, w = images.shape
    padded = np.zeros((n, h + 2, w + 2), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = images
    flat = padded.reshape(-1)
    ys = np.clip(ys, -1.0, float(h))
    xs = np.clip(xs, -1.0, float(w))
    y0 = np.minimum(np.floor(ys), h - 1)
    x0 = np.minimum(np.floor(xs), w - 1)
    fy = (ys - y0).astype(np.float32)
    fx = (xs - x0).astype(np.float32)
    base = (np.arange(n, dtype=np.int64) * ((h + 2) * (w + 2)))[:, None, None]
    i00 = base + (y0.astype(np.int64) + 1) * (w + 2) + (x0.astype(np.int64) + 1)
    top = flat[i00] * (1 - fx) + flat[i00 + 1] * fx
    bottom = flat[i00 + (w + 2)] * (1 - fx) + flat[i00 + (w + 3)] * fx
    return top * (1 - fy) + bottom * fy


def change_thickness(images: np.ndarray, prob: float, rng: np.random.Generator) -> np.ndarray:
    """Thicken (2x2 max) or thin (2x2 min) a random ``prob`` fraction of the images, half each."""
    n = images.shape[0]
    choice = rng.uniform(size=n)
    thicken = choice < prob / 2
    thin = (choice >= prob / 2) & (choice < prob)
    if not (thicken.any() or thin.any()):
        return images
    out = images.copy()
    if thicken.any():
        x = images[thicken]
        grown = x.copy()
        np.maximum(grown[:, 1:, :], x[:, :-1, :], out=grown[:, 1:, :])
        np.maximum(grown[:, :, 1:], grown[:, :, :-1].copy(), out=grown[:, :, 1:])
        out[thicken] = grown
    if thin.any():
        x = images[thin]
        shrunk = x.copy()
        np.minimum(shrunk[:, 1:, :], x[:, :-1, :], out=shrunk[:, 1:, :])
        np.minimum(shrunk[:, :, 1:], shrunk[:, :, :-1].copy(), out=shrunk[:, :, 1:])
        out[thin] = shrunk
    return out


def hollow(images: np.ndarray, prob: float, rng: np.random.Generator) -> np.ndarray:
    """Turn a random ``prob`` fraction of the images into outlines of their widened strokes.

    The strokes are widened by two 3x3 maximum filters and the original stroke (minus
    its anti-aliased edge) is cleared, leaving a 1-2 px outline around where the ink was.
    """
    chosen = rng.random(images.shape[0]) < prob
    if not chosen.any():
        return images
    out = images.copy()
    x = images[chosen]
    wide = max3(max3(x))
    inside = np.clip(2.0 * x - 0.5, 0.0, 1.0)     # the stroke's core, edges left as outline
    out[chosen] = np.clip(wide - inside, 0.0, 1.0)
    return out


#: Images resampled per step: keeps every temporary array in the CPU cache (~3x faster
#: than one pass over 60000 images); a loop over chunks, never over single images.
CHUNK = 1024


def augment_batch(images: np.ndarray, config: AugmentConfig, rng: np.random.Generator,
                  labels: np.ndarray | None = None) -> np.ndarray:
    """Randomly distort a batch.

    images -- (n, h, w) float32 in [0, 1] (uint8 in [0, 255] is accepted), ink bright on dark
    labels -- (n,) ints; needed only for ``serif_prob`` (ValueError when it is on and they are missing)
    returns   (n, h, w) float32 in [0, 1]; a fresh array, the input is not modified.

    Order: flags on ones, stroke thickness, outlines, marker or dry-brush strokes, then one
    resampling for affine + elastic (which bends the brush's hairs with the stroke), then low
    resolution or blur and the ink's contrast (the scan comes after the writing), then
    inversion (last, so the zero padding outside the image stays background).
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"augment_batch expects (n, h, w) images, got shape {images.shape}")
    out = images.astype(np.float32, copy=True)
    if images.dtype == np.uint8:
        out /= 255.0
    if out.shape[0] == 0 or config.is_identity:
        return out
    if config.serif_prob > 0:
        if labels is None or len(labels) != len(out):
            raise ValueError("augment_batch needs one label per image when serif_prob > 0")
        out = add_serifs(out, np.asarray(labels), config.serif_prob, rng)
    for start in range(0, out.shape[0], CHUNK):
        out[start:start + CHUNK] = _augment_chunk(out[start:start + CHUNK], config, rng)
    return out


def _augment_chunk(images: np.ndarray, config: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """augment_batch on (n, h, w) float32 images, n <= CHUNK."""
    n, h, w = images.shape
    out = images
    if config.thickness_prob > 0:
        out = change_thickness(out, config.thickness_prob, rng)
    if config.hollow_prob > 0:
        out = hollow(out, config.hollow_prob, rng)
    if config.brush_prob > 0:
        out = dry_brush(out, config.brush_prob, rng)
    geometric = (config.max_shift, config.max_rotation, config.max_scale,
                 config.max_shear, config.elastic_alpha)
    if any(s > 0 for s in geometric):
        if h != w:
            raise ValueError(f"augment_batch needs square images for geometric distortions, got {h}x{w}")
        ys, xs = _sampling_grid(n, h, config, rng)
        out = bilinear_sample(out, ys, xs)
    out = np.clip(out, 0.0, 1.0)
    out = degrade(out, config.lowres_prob, config.blur_prob, rng)
    if config.gamma_prob > 0:
        out = ink_gamma(out, config.gamma_prob, rng)
    if config.invert_prob > 0:
        flip = rng.random(n) < config.invert_prob
        out[flip] = 1.0 - out[flip]
    return out
