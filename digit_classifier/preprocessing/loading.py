"""Decode any Pillow-readable image safely and turn it into float planes.

Guards: empty input, undecodable bytes, decompression bombs (pixel cap checked from
the header before decoding), images smaller than the minimum side.
"""

from __future__ import annotations

import io
import os
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps

#: Default pixel cap (width * height) above which an image is refused unread.
MAX_PIXELS = 40_000_000
#: Default minimum side in pixels.
MIN_SIDE = 10

ImageSource = Union[bytes, bytearray, memoryview, str, os.PathLike, BinaryIO, Image.Image]

_ERROR_CODES = frozenset({"not_an_image", "empty", "too_small", "too_large", "no_ink"})
_WIDE_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
#: ``img.info`` keys from which Pillow's ``getexif`` can read an orientation.
_ORIENTATION_KEYS = frozenset({"exif", "Raw profile type exif", "XML:com.adobe.xmp", "xmp"})


class ImageError(ValueError):
    """An input that cannot become a digit image; ``.code`` says which kind.

    Codes: ``not_an_image``, ``empty``, ``too_small``, ``too_large``, ``no_ink``.
    """

    def __init__(self, code: str, message: str):
        if code not in _ERROR_CODES:
            raise ValueError(f"unknown ImageError code {code!r}")
        super().__init__(message)
        self.code = code


def _open(source: ImageSource) -> Image.Image:
    """Open ``source`` lazily (header only); raise ImageError for empty/undecodable input."""
    if isinstance(source, Image.Image):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise ImageError("empty", "the upload is empty (0 bytes)")
        stream: BinaryIO = io.BytesIO(data)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            data = fh.read()
        if not data:
            raise ImageError("empty", f"the file {os.fspath(source)!r} is empty (0 bytes)")
        stream = io.BytesIO(data)
    elif hasattr(source, "read"):
        data = source.read()
        if not data:
            raise ImageError("empty", "the file object is empty (0 bytes)")
        stream = io.BytesIO(data)
    else:
        raise TypeError(f"cannot read an image from {type(source).__name__}")
    try:
        return Image.open(stream)
    except Image.DecompressionBombError as exc:
        raise ImageError("too_large", f"the image has too many pixels: {exc}") from exc
    except Image.UnidentifiedImageError as exc:
        # Pillow's message names the in-memory stream object: useless to a client.
        raise ImageError("not_an_image", "the data is not an image format we read "
                         "(PNG, JPEG, GIF, BMP, WebP or TIFF)") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError("not_an_image", f"the image header is unreadable: {exc}") from exc


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS,
               min_side: int = MIN_SIDE, draft_size: int | None = None) -> Image.Image:
    """Decode ``source`` (bytes, path, file object or PIL image) into a loaded PIL image.

    Takes the first frame of animations and applies the EXIF orientation. With
    ``draft_size`` a JPEG may be decoded at a reduced scale (never below that longest
    side), which makes large photos cheap. Raises ImageError (``empty``,
    ``not_an_image``, ``too_large``, ``too_small``).
    """
    img = _open(source)
    width, height = img.size
    if width * height > max_pixels:
        raise ImageError("too_large", f"the image is {width}x{height} = {width * height} pixels; "
                                      f"the limit is {max_pixels}")
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    if draft_size and img.format == "JPEG" and max(width, height) > 2 * draft_size:
        scale = draft_size / max(width, height)
        img.draft(img.mode, (max(1, int(width * scale)), max(1, int(height * scale))))
    try:
        img.load()
        if _may_have_orientation(img):
            ImageOps.exif_transpose(img, in_place=True)  # no copy when there is nothing to turn
    except Image.DecompressionBombError as exc:
        raise ImageError("too_large", f"the image decodes to too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageError("not_an_image", f"the image data is corrupt or truncated: {exc}") from exc
    if min(width, height) < min_side:
        raise ImageError("too_small", f"the image is {width}x{height} pixels; each side must be "
                                      f"at least {min_side} pixels")
    return img


def _may_have_orientation(img: Image.Image) -> bool:
    """False when ``ImageOps.exif_transpose`` is sure to find no orientation (and do
    nothing): no EXIF/XMP in ``img.info``, no TIFF tags, no EXIF already attached.
    Parsing an absent EXIF block still costs tens of microseconds per upload."""
    return (bool(_ORIENTATION_KEYS.intersection(img.info)) or hasattr(img, "tag_v2")
            or getattr(img, "_exif", None) is not None)


def shrink(img: Image.Image, max_side: int) -> Image.Image:
    """Return ``img`` scaled down (BOX filter) so its longest side is <= ``max_side``."""
    longest = max(img.size)
    if longest <= max_side:
        return img
    scale = max_side / longest
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    if img.mode in _WIDE_MODES or img.mode == "P" or img.mode == "1":
        img = img.convert("F" if img.mode in _WIDE_MODES else
                          ("RGBA" if _has_alpha(img) else "RGB"))
    return img.resize(size, Image.Resampling.BOX)


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in _ALPHA_MODES or "transparency" in img.info


def _wide_to_unit(img: Image.Image) -> np.ndarray:
    """16/32-bit integer or float grey image -> (h, w) float32 in [0, 1]."""
    arr = np.asarray(img, dtype=np.float32)
    top = float(arr.max()) if arr.size else 1.0
    if img.mode.startswith("I;16"):
        scale = 65535.0
    elif img.mode == "F" and top <= 1.0:
        scale = 1.0
    else:
        scale = 65535.0 if top <= 65535.0 else top
    return np.clip(arr / scale, 0.0, 1.0)


def _planar(img: Image.Image) -> np.ndarray:
    """8-bit multi-band image -> C-contiguous (bands, h, w) float32 in [0, 1]
    (planar, so per-channel work runs over contiguous memory). When the R, G and B
    bands are identical (grey content saved as colour) only one of them is kept:
    (1 or 2 [+ alpha], h, w)."""
    arr = np.asarray(img)
    if _grey_bands(arr):
        arr = arr[:, :, 2:]  # B (== R == G) and alpha, if any
    planes = arr.transpose(2, 0, 1).astype(np.float32, order="C")
    planes /= np.float32(255.0)
    return planes


def _grey_bands(arr: np.ndarray) -> bool:
    """True when the first three bands of 8-bit (h, w, bands) ``arr`` are identical."""
    sample = arr[::16, ::16]  # colour photos fail here, on a 1/256 sample
    for a in (sample, arr):
        if not ((a[:, :, 0] == a[:, :, 1]).all() and (a[:, :, 1] == a[:, :, 2]).all()):
            return False
    return True


def to_planes(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Image -> (channels (c, h, w) float32 in [0, 1], alpha (h, w) or None).

    ``c`` is 1 for grey images (including colour files whose R, G and B are all
    equal) and 3 (R, G, B) for colour ones.
    """
    if img.mode in _WIDE_MODES:
        return _wide_to_unit(img)[None], None
    if _has_alpha(img):
        arr = _planar(img if img.mode == "RGBA" else img.convert("RGBA"))
        alpha = arr[-1]
        if alpha.min() >= 254.5 / 255.0:
            alpha = None
        return arr[:-1], alpha
    if img.mode in ("L", "1"):
        grey = np.asarray(img if img.mode == "L" else img.convert("L")).astype(np.float32)
        grey /= np.float32(255.0)  # the same correctly rounded float32 division as x / 255
        return grey[None], None
    return _planar(img if img.mode == "RGB" else img.convert("RGB")), None


def composite(channels: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Flatten transparency: (c, h, w) + alpha (h, w) -> (c, h, w) opaque.

    When less than half the picture is opaque, the opaque part is the drawing (a
    transparent canvas), so it goes onto a backdrop that contrasts with it (white
    under dark strokes, black under light ones). Otherwise the opaque part is the
    paper, and transparent holes take the paper's median colour.
    """
    if alpha is None:
        return channels
    opaque = alpha > 0.5
    if not opaque.any():
        return channels * alpha  # nothing drawn; stays uniform -> rejected later as no ink
    grey = channels.mean(axis=0)
    if 2 * np.count_nonzero(opaque) < opaque.size:  # less than half opaque
        mean_level = float((grey * alpha).sum() / alpha.sum())
        out = channels * alpha
        # The backdrop is 1 or 0 in every channel: adding 1 * (1 - alpha), or 0, is
        # the general formula below with its exact products spelled out.
        if mean_level < 0.5:
            out += 1.0 - alpha
        return out
    backdrop = np.median(channels[:, opaque], axis=1).astype(np.float32)
    return channels * alpha + backdrop[:, None, None] * (1.0 - alpha)
