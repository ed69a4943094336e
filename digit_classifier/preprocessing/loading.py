"""Decode an uploaded image safely and cheaply, and turn it into float planes.

Guards: empty input, formats outside PNG/JPEG/GIF/BMP/WebP/TIFF/AVIF/HEIF (checked on the
decoded format, not the name; HEIF/HEIC, what iPhones save, through pillow-heif), undecodable or truncated bytes (every exception Pillow raises
while decoding becomes an ImageError), decompression bombs (pixel cap checked from the
header before decoding), images smaller than the minimum side. Large JPEGs decode at a reduced
scale; 1-bit, palette and 16-bit images are shrunk strip by strip, never expanded to full size.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zlib
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps

#: Default pixel cap (width * height) above which an image is refused unread.
MAX_PIXELS = 40_000_000
#: Default minimum side in pixels: 8, the smallest digit format in common use
#: (scikit-learn's 8x8 digits; issue 10's lowest scan size).
MIN_SIDE = 8

ImageSource = Union[bytes, bytearray, memoryview, str, os.PathLike, BinaryIO, Image.Image]



def _register_heif() -> bool:
    """Teach Pillow HEIF/HEIC, the format iPhones save photos in, through pillow-heif
    (a declared dependency); True when it is installed. Only the primary picture is ever
    read: thumbnails, depth maps and auxiliary images stay unparsed."""
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
    return True


#: Whether HEIF/HEIC uploads can be read here (pillow-heif installed).
HEIF_READABLE = _register_heif()
#: Formats we decode (Pillow format names). Pillow's JPEG opener also returns the
#: multi-picture JPEGs phones write, with ``img.format == "MPO"``. AVIF is Pillow's own.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "AVIF") + (("HEIF",) if HEIF_READABLE else ())
_CLIENT_NAMES = ("PNG", "JPEG", "GIF", "BMP", "WebP", "TIFF", "AVIF") + (("HEIC",) if HEIF_READABLE else ())
#: The formats as a client names them, for messages: "PNG, JPEG, ..., AVIF or HEIC".
FORMAT_NAMES = ", ".join(_CLIENT_NAMES[:-1]) + " or " + _CLIENT_NAMES[-1]
#: Lower pixel caps for formats decoded only at full size: WebP into RGBA with extra
#: copies (40 MP peaked at ~610 MB, bench/results/request_cost.md; 16 MP at ~250 MB); HEIF
#: and AVIF at ~7 B a pixel (a 40 MP HEIC ~290 MB): 24 MP, every iPhone's default HEIC
#: size (12 or 24 MP) and the cost of a 16 MP WebP.
FORMAT_MAX_PIXELS = {"WEBP": 16_000_000, "HEIF": 24_000_000, "AVIF": 24_000_000}
#: Everything Pillow's decoders are seen to raise on hostile input; each becomes an ImageError.
#: RuntimeError: Pillow's AVIF decoder on damaged data ("Failed to decode image: ...").
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError,
                 TypeError, ZeroDivisionError, zlib.error, RuntimeError, MemoryError)
#: Source rows converted at a time when a 1-bit, palette or 16-bit image is shrunk.
STRIP_ROWS = 256
_ERROR_CODES = frozenset({"not_an_image", "empty", "too_small", "too_large", "no_ink"})
_WIDE_MODES = frozenset({"I", "I;16", "I;16L", "I;16B", "I;16N", "F"})
_PLAIN_MODES = frozenset({"1", "L", "P", "PA", "LA", "RGB", "RGBA"})
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
        return Image.open(stream, formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise ImageError("too_large", f"the image has too many pixels: {exc}") from exc
    except Image.UnidentifiedImageError as exc:
        # Pillow's message names the in-memory stream object: useless to a client.
        raise ImageError("not_an_image", f"the data is not an image format we read ({FORMAT_NAMES})") from exc
    except DECODE_ERRORS as exc:
        raise ImageError("not_an_image", f"the image header is unreadable: "
                                         f"{type(exc).__name__}: {exc}") from exc


def header_pixels(data: bytes) -> int:
    """Width * height read from the header of image ``data`` (nothing is decoded);
    0 when the header is unreadable (decoding it later reports why)."""
    try:
        width, height = _open(data).size
    except ImageError:
        return 0
    return width * height


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS,
               min_side: int = MIN_SIDE, draft_size: int | None = None) -> Image.Image:
    """Decode ``source`` (bytes, path, file object or PIL image) into a loaded PIL image.

    Takes the first frame of animations (Pillow opens there; later frames and IFDs
    are never parsed) and applies the EXIF orientation. With ``draft_size`` a JPEG may
    be decoded at a reduced scale (never below that longest side), which makes large
    photos cheap. Modes other than 1, L, P, LA, PA, RGB, RGBA and the 16/32-bit grey
    ones are converted to RGB(A) here. Raises ImageError (``empty``,
    ``not_an_image``, ``too_large``, ``too_small``).
    """
    img = _open(source)
    width, height = img.size
    limit = min(max_pixels, FORMAT_MAX_PIXELS.get(img.format, max_pixels))
    if width * height > limit:
        kind = f"for {img.format} " if limit < max_pixels else ""
        raise ImageError("too_large", f"the image is {width}x{height} = {width * height} pixels; "
                                      f"the limit {kind}is {limit}")
    try:
        if draft_size and img.format in ("JPEG", "MPO") and max(width, height) > 2 * draft_size:
            scale = draft_size / max(width, height)
            img.draft(img.mode, (max(1, int(width * scale)), max(1, int(height * scale))))
        img.load()
        if _may_have_orientation(img):
            ImageOps.exif_transpose(img, in_place=True)  # no copy when there is nothing to turn
        img = _plain_mode(img)
    except Image.DecompressionBombError as exc:
        raise ImageError("too_large", f"the image decodes to too many pixels: {exc}") from exc
    except DECODE_ERRORS as exc:
        raise ImageError("not_an_image", f"the image data is corrupt or truncated: "
                                         f"{type(exc).__name__}: {exc}") from exc
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


def _plain_mode(img: Image.Image) -> Image.Image:
    """``img`` itself when its mode is one the later steps handle, else an RGB(A) copy
    (CMYK, YCbCr, LAB, HSV, La, RGBa...); raises ValueError for a mode Pillow cannot
    convert."""
    if img.mode in _PLAIN_MODES or img.mode in _WIDE_MODES:
        return img
    if img.mode == "La":  # premultiplied alpha: Pillow un-premultiplies only RGBa
        grey, alpha = img.split()
        img = Image.merge("RGBa", (grey, grey, grey, alpha))
    return img.convert("RGBA" if _has_alpha(img) else "RGB")


def shrink(img: Image.Image, max_side: int) -> Image.Image:
    """Return ``img`` scaled down (BOX filter) so its longest side is <= ``max_side``.

    1-bit, palette and 16/32-bit images are converted (to L, L/RGB/RGBA and F) strip by
    strip of :data:`STRIP_ROWS` source rows, so the full-size copy in the wider mode
    never exists; the result equals converting first and resizing after. RGBA and LA go
    strip by strip too (Pillow premultiplies alpha in a full-size copy before resizing).
    """
    longest = max(img.size)
    if longest <= max_side:
        return img
    scale = max_side / longest
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    mode = _resize_mode(img)
    if mode is None:
        return img.resize(size, Image.Resampling.BOX)
    return _resize_in_strips(img, size, mode)


def _resize_mode(img: Image.Image) -> str | None:
    """The mode ``img`` must be converted to before a BOX resize, or None if none."""
    if img.mode in _WIDE_MODES:
        return "F"
    if img.mode == "1":
        return "L"
    if img.mode in ("RGBA", "LA"):  # Pillow's resize premultiplies a full-size copy first
        return img.mode
    if img.mode in ("P", "PA"):
        if _has_alpha(img):
            return "RGBA"
        palette = img.getpalette("RGB") or []
        grey = palette[0::3] == palette[1::3] == palette[2::3]
        return "L" if grey else "RGB"  # grey palettes: L equals R, G and B exactly
    return None


def _resize_in_strips(img: Image.Image, size: tuple[int, int], mode: str) -> Image.Image:
    """BOX-resize ``img`` to ``size`` in ``mode``, converting :data:`STRIP_ROWS` source rows
    at a time (each output band is made from exactly the source rows it covers)."""
    width, height = img.size
    out_w, out_h = size
    rows_per_out = height / out_h
    band = max(1, int(STRIP_ROWS / rows_per_out))      # output rows per strip
    out = Image.new(mode, size)
    for j0 in range(0, out_h, band):
        j1 = min(out_h, j0 + band)
        top, bottom = j0 * rows_per_out, min(height, j1 * rows_per_out)
        y0, y1 = math.floor(top), min(height, math.ceil(bottom))
        strip = img.crop((0, y0, width, y1)).convert(mode)
        out.paste(strip.resize((out_w, j1 - j0), Image.Resampling.BOX,
                               box=(0, top - y0, width, bottom - y0)), (0, j0))
    return out


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
