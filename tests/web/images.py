"""Test images for the web tests, built with Pillow from real MNIST test digits.

Every function returns encoded file bytes (what a browser or curl would send).
"""

from io import BytesIO

import numpy as np
from PIL import Image


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    """``image`` encoded as ``fmt`` bytes."""
    buffer = BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def digit_image(pixels: np.ndarray, *, dark_on_light: bool = True, scale: int = 8,
                canvas: tuple[int, int] | None = None) -> Image.Image:
    """A (28, 28) uint8 MNIST digit as an upscaled greyscale picture.

    ``dark_on_light`` inverts MNIST's white-on-black; ``canvas`` (w, h) pads the
    digit into a rectangle of that size (centred).
    """
    grey = 255 - pixels if dark_on_light else pixels
    image = Image.fromarray(grey.astype(np.uint8), mode="L").resize((28 * scale, 28 * scale), Image.BILINEAR)
    if canvas is None:
        return image
    background = 255 if dark_on_light else 0
    framed = Image.new("L", canvas, background)
    framed.paste(image, ((canvas[0] - image.width) // 2, (canvas[1] - image.height) // 2))
    return framed


def rgba_canvas(pixels: np.ndarray, scale: int = 8) -> Image.Image:
    """Black ink on a fully transparent background, like an unfilled HTML canvas."""
    alpha = Image.fromarray(pixels.astype(np.uint8), mode="L").resize((28 * scale, 28 * scale), Image.BILINEAR)
    image = Image.new("RGBA", alpha.size, (0, 0, 0, 0))
    image.putalpha(alpha)
    return image


def good_images(pixels: np.ndarray) -> dict[str, bytes]:
    """Readable images of one digit in several forms: name -> bytes."""
    return {
        "dark_on_light.png": encode(digit_image(pixels)),
        "light_on_dark.png": encode(digit_image(pixels, dark_on_light=False)),
        "rgba_canvas.png": encode(rgba_canvas(pixels)),
        "rectangular.jpg": encode(digit_image(pixels, canvas=(400, 260)).convert("RGB"), "JPEG"),
        "digit.webp": encode(digit_image(pixels), "WEBP"),
        "digit.gif": encode(digit_image(pixels), "GIF"),
        "digit.bmp": encode(digit_image(pixels), "BMP"),
    }


def bad_images() -> dict[str, tuple[bytes, str]]:
    """Unusable uploads: name -> (bytes, ImageError code the predictor should report)."""
    png = encode(Image.new("L", (64, 64), 255))
    return {
        "zero_byte.png": (b"", "empty"),
        "text_renamed.png": (b"this is plain text, not a picture\n" * 4, "not_an_image"),
        "corrupt.png": (png[: len(png) // 2], "not_an_image"),
        "tiny.png": (encode(Image.new("L", (3, 3), 0)), "too_small"),
        "blank.png": (png, "no_ink"),
        "huge.png": (encode(Image.new("1", (7000, 6000), 1)), "too_large"),
    }
