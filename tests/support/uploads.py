"""Catalogues of named test uploads, each with the outcome the predictor should give."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from tests.support.images import (blank_png_bytes, digit_jpeg_bytes, digit_png_bytes, empty_bytes,
                                  encode, mnist_digit_bytes, mnist_rgba_canvas, rectangular_png_bytes,
                                  rgba_canvas_png_bytes, text_as_png_bytes, tiny_png_bytes,
                                  too_small_png_bytes, truncated_png_bytes)


@dataclass(frozen=True)
class Sample:
    """An encoded test file: bytes, a filename, its MIME type, and the expected
    ImageError code (None when it is a valid digit of label ``digit``)."""

    data: bytes
    filename: str
    mimetype: str
    error_code: str | None
    digit: int | None = None


def samples() -> dict[str, Sample]:
    """Catalogue of named samples of drawn digits (valid digits and each kind of bad input)."""
    return {
        "digit_png": Sample(digit_png_bytes(3), "three.png", "image/png", None, 3),
        "digit_png_inverted": Sample(digit_png_bytes(7, dark_on_light=False), "seven.png",
                                     "image/png", None, 7),
        "digit_jpeg": Sample(digit_jpeg_bytes(4), "four.jpg", "image/jpeg", None, 4),
        "rgba_canvas": Sample(rgba_canvas_png_bytes(2), "canvas.png", "image/png", None, 2),
        "rectangular": Sample(rectangular_png_bytes(0), "wide.png", "image/png", None, 0),
        "tiny_8px": Sample(tiny_png_bytes(), "tiny.png", "image/png", None, 1),
        "too_small_7px": Sample(too_small_png_bytes(), "small.png", "image/png", "too_small"),
        "truncated_png": Sample(truncated_png_bytes(), "broken.png", "image/png", "not_an_image"),
        "text_as_png": Sample(text_as_png_bytes(), "notes.png", "image/png", "not_an_image"),
        "empty": Sample(empty_bytes(), "empty.png", "image/png", "empty"),
        "blank": Sample(blank_png_bytes(), "blank.png", "image/png", "no_ink"),
    }


def good_images(pixels: np.ndarray) -> dict[str, bytes]:
    """One (28, 28) uint8 MNIST digit in every readable upload form: file name -> bytes."""
    return {
        "dark_on_light.png": mnist_digit_bytes(pixels),
        "light_on_dark.png": mnist_digit_bytes(pixels, dark_on_light=False),
        "rgba_canvas.png": encode(mnist_rgba_canvas(pixels)),
        "rectangular.jpg": mnist_digit_bytes(pixels, "JPEG", mode="RGB", canvas=(400, 260)),
        "digit.webp": mnist_digit_bytes(pixels, "WEBP"),
        "digit.gif": mnist_digit_bytes(pixels, "GIF"),
        "digit.bmp": mnist_digit_bytes(pixels, "BMP"),
        "scan.tif": mnist_digit_bytes(pixels, "TIFF"),
        "digit.avif": mnist_digit_bytes(pixels, "AVIF", mode="RGB"),
        "iphone.heic": mnist_digit_bytes(pixels, "HEIF", mode="RGB"),
    }


def bad_images() -> dict[str, tuple[bytes, str]]:
    """Unusable uploads: file name -> (bytes, ImageError code the predictor should report)."""
    png = encode(Image.new("L", (64, 64), 255))
    return {
        "zero_byte.png": (b"", "empty"),
        "text_renamed.png": (b"this is plain text, not a picture\n" * 4, "not_an_image"),
        "corrupt.png": (png[: len(png) // 2], "not_an_image"),
        "tiny.png": (encode(Image.new("L", (3, 3), 0)), "too_small"),
        "blank.png": (png, "no_ink"),
        "huge.png": (encode(Image.new("1", (7000, 6000), 1)), "too_large"),
    }
