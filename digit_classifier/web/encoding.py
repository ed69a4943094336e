"""Small image encoders for responses: the 28x28 model input as PNG/base64, upload previews."""

import base64
from io import BytesIO

import numpy as np
from PIL import Image

from digit_classifier.preprocessing.loading import shrink

PREVIEW_SIDE = 320  # pixels; the result page shows the upload at most this large


def image28_png(image28: np.ndarray) -> bytes:
    """PNG bytes (8-bit grayscale) of a (28, 28) float image in [0, 1], ink bright."""
    pixels = np.asarray(image28, dtype=np.float32)
    if pixels.shape != (28, 28):
        raise ValueError(f"image28 must have shape (28, 28), got {pixels.shape}")
    grey = np.rint(np.clip(pixels, 0.0, 1.0) * 255.0).astype(np.uint8)
    buffer = BytesIO()
    Image.fromarray(grey, mode="L").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def image28_base64(image28: np.ndarray) -> str:
    """Base64 text (no data: prefix) of ``image28_png(image28)``."""
    return base64.b64encode(image28_png(image28)).decode("ascii")


def data_url(png: bytes, mimetype: str = "image/png") -> str:
    """A ``data:`` URL embedding ``png`` (any image bytes of ``mimetype``)."""
    return f"data:{mimetype};base64,{base64.b64encode(png).decode('ascii')}"


def preview_data_url(picture: Image.Image, side: int = PREVIEW_SIDE) -> str | None:
    """A PNG data URL of ``picture`` shrunk to fit ``side`` pixels, or None if it cannot be shown.

    ``picture`` is the upload already decoded (upright, first frame) by
    ``preprocessing.loading.load_image``: the upload is never decoded a second time, and
    1-bit, palette and 16-bit pictures are shrunk strip by strip (``loading.shrink``).
    """
    try:
        small = shrink(picture, side)
        if small.mode in {"F", "I"} or small.mode.startswith("I;16"):
            small = _grey8(small)
        elif small.mode not in {"L", "LA", "RGB", "RGBA"}:
            small = small.convert("RGBA")
        buffer = BytesIO()
        small.save(buffer, format="PNG")
    except (OSError, ValueError):
        return None
    return data_url(buffer.getvalue())


def _grey8(picture: Image.Image) -> Image.Image:
    """A 16/32-bit or float grey picture as 8-bit L, its range stretched to 0..255."""
    pixels = np.asarray(picture, dtype=np.float32)
    low, high = float(pixels.min()), float(pixels.max())
    scaled = (pixels - low) * (255.0 / (high - low)) if high > low else np.zeros_like(pixels)
    return Image.fromarray(np.rint(scaled).astype(np.uint8), mode="L")
