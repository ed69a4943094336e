"""Small image encoders for responses: the 28x28 model input as PNG/base64, upload previews."""

import base64
from io import BytesIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

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


def preview_data_url(raw: bytes, side: int = PREVIEW_SIDE) -> str | None:
    """A PNG data URL of the uploaded image shrunk to fit ``side`` pixels, or None if unreadable.

    Called only after the predictor accepted ``raw``, so it is a bounded, decodable image.
    """
    try:
        with Image.open(BytesIO(raw)) as image:
            image.seek(0)  # first frame of an animated GIF/WebP
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((side, side))
            if picture.mode not in {"L", "LA", "RGB", "RGBA"}:
                picture = picture.convert("RGBA")
            buffer = BytesIO()
            picture.save(buffer, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return data_url(buffer.getvalue())
