"""Decoding: formats, pixel modes, EXIF orientation, and the error codes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digit_classifier.preprocessing import ImageError, PreprocessConfig, load_image, preprocess_image
from tests.support import images as f
from tests.support import uploads

FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]
MODES = ["L", "RGB", "P", "LA", "RGBA", "I;16", "1", "CMYK"]


def _supported(fmt: str, mode: str) -> bool:
    table = {"JPEG": {"L", "RGB", "CMYK", "1"}, "GIF": {"L", "P", "RGB", "1"},
             "BMP": {"L", "RGB", "P", "1", "RGBA"}, "WEBP": {"L", "RGB", "RGBA", "P", "LA"},
             "PNG": {"L", "RGB", "P", "LA", "RGBA", "I;16", "1"},
             "TIFF": {"L", "RGB", "P", "LA", "RGBA", "I;16", "1", "CMYK"}}
    return mode in table[fmt]


CASES = [(fmt, mode) for fmt in FORMATS for mode in MODES if _supported(fmt, mode)]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return preprocess_image(f.digit_bytes(3, "PNG", "L"))


@pytest.mark.parametrize("fmt,mode", CASES)
def test_every_format_and_mode_gives_the_same_digit(fmt, mode, reference):
    out = preprocess_image(f.digit_bytes(3, fmt, mode))
    assert out.shape == (784,) and out.dtype == np.float32
    assert np.corrcoef(out, reference)[0, 1] > 0.9, (fmt, mode)


@pytest.mark.parametrize("kind", ["bytes", "path", "file", "pil"])
def test_source_kinds(kind, tmp_path, reference):
    data = f.digit_bytes(3, "PNG", "L")
    path = tmp_path / "d.png"
    path.write_bytes(data)
    source = {"bytes": data, "path": path, "file": io.BytesIO(data),
              "pil": Image.open(io.BytesIO(data))}[kind]
    np.testing.assert_allclose(preprocess_image(source), reference, atol=1e-6)


def test_gif_first_frame_is_used():
    first = f.drawn_digit(1, (120, 120))
    second = f.drawn_digit(8, (120, 120))
    buf = io.BytesIO()
    first.save(buf, "GIF", save_all=True, append_images=[second])
    out = preprocess_image(buf.getvalue())
    one = preprocess_image(f.encode(first, "PNG"))
    eight = preprocess_image(f.encode(second, "PNG"))
    assert np.corrcoef(out, one)[0, 1] > 0.95 > np.corrcoef(out, eight)[0, 1]


def test_exif_orientation_is_honoured():
    upright = preprocess_image(f.encode(f.drawn_digit(7, (280, 280), mode="RGB",
                                                      ink=(0, 0, 0), paper=(255,) * 3), "JPEG"))
    for orientation in (3, 6, 8):
        out = preprocess_image(f.exif_rotated_jpeg_bytes(7, orientation=orientation))
        assert np.corrcoef(out, upright)[0, 1] > 0.9, orientation
    raw = Image.open(io.BytesIO(f.exif_rotated_jpeg_bytes(7, orientation=6)))
    ignored = preprocess_image(Image.fromarray(np.asarray(raw)))  # EXIF dropped: still rotated
    assert np.corrcoef(ignored, upright)[0, 1] < 0.6


def test_load_image_returns_loaded_upright_image():
    img = load_image(f.exif_rotated_jpeg_bytes(7, size=200, orientation=6))
    assert img.size == (200, 200)


@pytest.mark.parametrize("data,code", [
    (f.empty_bytes(), "empty"),
    (f.text_as_png_bytes(), "not_an_image"),
    (f.truncated_png_bytes(), "not_an_image"),
    (f.too_small_png_bytes(), "too_small"),
    (f.blank_png_bytes(), "no_ink"),
    (f.blank_png_bytes(value=0), "no_ink"),
    (f.blank_png_bytes(size=(4000, 20)), "no_ink"),
    (f.encode(Image.new("RGBA", (200, 200), (0, 0, 0, 0)), "PNG"), "no_ink"),
])
def test_error_codes(data, code):
    with pytest.raises(ImageError) as info:
        preprocess_image(data)
    assert info.value.code == code
    assert isinstance(info.value, ValueError)
    assert str(info.value)  # the message says why


def test_too_large_is_refused_before_decoding():
    data = f.encode(Image.new("L", (3000, 2000), 255), "PNG")
    with pytest.raises(ImageError) as info:
        preprocess_image(data, PreprocessConfig(max_pixels=5_000_000))
    assert info.value.code == "too_large" and "6000000" in str(info.value)


def test_zero_byte_file_and_missing_path(tmp_path):
    empty = tmp_path / "e.png"
    empty.write_bytes(b"")
    with pytest.raises(ImageError) as info:
        preprocess_image(empty)
    assert info.value.code == "empty"
    with pytest.raises(FileNotFoundError):
        preprocess_image(tmp_path / "missing.png")


def test_tiny_images_are_accepted_down_to_10px():
    out = preprocess_image(f.tiny_png_bytes())
    assert out.shape == (784,) and out.max() > 0.5


def test_catalogue_samples_behave_as_labelled():
    for name, sample in uploads.samples().items():
        if sample.error_code is None:
            assert preprocess_image(sample.data).max() > 0.5, name
        else:
            with pytest.raises(ImageError) as info:
                preprocess_image(sample.data)
            assert info.value.code == sample.error_code, name
