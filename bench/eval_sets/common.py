"""Shared helpers of the evaluation-set generators: samples, encoding, MNIST split, painting."""

from __future__ import annotations

import io
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageFilter

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
#: MNIST test digits with index below this go to the dev split, the rest to test.
DEV_TEST_BOUNDARY = 5000
SPLITS = ("dev", "test")


class Sample(NamedTuple):
    """One generated picture: encoded ``data``, file extension ``ext`` ("png"/"jpg"),
    the true digit ``label`` and the subset tag ``kind``."""

    data: bytes
    ext: str
    label: int
    kind: str


def mnist_split(data_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test digits of ``split``: dev = index < 5000, test = index >= 5000 ->
    (images (n, 28, 28) uint8 ink bright, labels (n,) int64)."""
    from digit_classifier.mnist import load_mnist

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}")
    data = load_mnist(data_dir)
    part = slice(0, DEV_TEST_BOUNDARY) if split == "dev" else slice(DEV_TEST_BOUNDARY, None)
    return data.test_images[part], data.test_labels[part].astype(np.int64)


def encode(img: Image.Image, ext: str, quality: int = 90) -> bytes:
    """PIL image -> PNG or JPEG (``quality``) bytes."""
    buf = io.BytesIO()
    if ext == "png":
        img.save(buf, format="PNG")
    elif ext == "jpg":
        img.convert("RGB" if img.mode not in ("L", "RGB") else img.mode).save(
            buf, format="JPEG", quality=int(quality))
    else:
        raise ValueError(f"ext must be 'png' or 'jpg'; got {ext!r}")
    return buf.getvalue()


def ink_box(digit: np.ndarray, threshold: int = 0) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the pixels above ``threshold`` in a (h, w) image,
    bottom/right exclusive."""
    rows, cols = np.nonzero(digit > threshold)
    return int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1


def upscale(digit: np.ndarray, size: tuple[int, int],
            resample=Image.Resampling.BICUBIC) -> np.ndarray:
    """(h, w) uint8 or float ink image -> (size[1], size[0]) float32 in [0, 1]
    (``size`` is PIL's (width, height))."""
    arr = np.asarray(digit, np.float32)
    if arr.max() > 1.0:
        arr = arr / 255.0
    out = Image.fromarray(arr, "F").resize(size, resample)
    return np.clip(np.asarray(out, np.float32), 0.0, 1.0)


def place_digit(digit: np.ndarray, size: int, rng: np.random.Generator,
                share: tuple[float, float] = (0.45, 0.7),
                jitter: int = 10) -> tuple[np.ndarray, int, int, int]:
    """(28, 28) uint8 digit -> ((size, size) float32 ink in [0, 1], top, left, side): the
    digit's 28 px frame scaled to ``side``, a ``share`` (low, high) of ``size``, within
    ``size / jitter`` of the centre."""
    side = int(size * rng.uniform(*share))
    top, left = (size - side) // 2 + rng.integers(-size // jitter, size // jitter + 1, 2)
    ink = np.zeros((size, size), np.float32)
    ink[top:top + side, left:left + side] = upscale(digit, (side, side))
    return ink, int(top), int(left), side


def rank_filter(alpha: np.ndarray, size: int, grow: bool) -> np.ndarray:
    """(h, w) float image -> its ``size`` x ``size`` max (``grow``) or min filter."""
    rank = ImageFilter.MaxFilter(size) if grow else ImageFilter.MinFilter(size)
    return np.asarray(Image.fromarray(np.asarray(alpha, np.float32), "F").filter(rank), np.float32)


def blur(alpha: np.ndarray, radius: float) -> np.ndarray:
    """(h, w) float image in [0, 1] -> Gaussian-blurred copy (``radius`` px; 8-bit
    precision, Pillow's Gaussian blur has no float mode)."""
    img = Image.fromarray((np.clip(alpha, 0.0, 1.0) * 255).round().astype(np.uint8), "L")
    return np.asarray(img.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0


def paint(alpha: np.ndarray, ink, paper) -> np.ndarray:
    """Ink coverage (h, w) in [0, 1] + ink and paper colours (RGB or grey, 0-255) ->
    (h, w, 3) float32 picture: paper where alpha is 0, ink where it is 1."""
    a = np.clip(alpha, 0.0, 1.0)[..., None]
    ink = np.broadcast_to(np.asarray(ink, np.float32), (3,)) if np.ndim(ink) == 0 else np.asarray(ink, np.float32)
    paper = np.broadcast_to(np.asarray(paper, np.float32), (3,)) if np.ndim(paper) == 0 else np.asarray(paper, np.float32)
    return paper * (1.0 - a) + ink * a


def to_image(rgb: np.ndarray, noise: float = 0.0, rng: np.random.Generator | None = None,
             grey: bool = False) -> Image.Image:
    """(h, w, 3) float picture in [0, 255] (+ Gaussian noise of sigma ``noise``) ->
    PIL "RGB" image, or "L" with ``grey``."""
    if noise > 0:
        rgb = rgb + rng.normal(0.0, noise, rgb.shape[:2] + (1,)).astype(np.float32)
    img = Image.fromarray(np.clip(rgb, 0, 255).round().astype(np.uint8), "RGB")
    return img.convert("L") if grey else img


def balanced_labels(n: int, rng: np.random.Generator) -> np.ndarray:
    """(n,) int64 digits 0-9, as equal in count as ``n`` allows, in random order."""
    return rng.permutation(np.arange(n) % 10).astype(np.int64)
