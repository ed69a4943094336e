"""Decoding: formats, pixel modes, EXIF orientation, and the error codes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digit_classifier.preprocessing import ImageError, PreprocessConfig, load_image, preprocess_image
from tests.support import images as f
from tests.support import uploads

FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF", "AVIF", "HEIF"]
MODES = ["L", "RGB", "P", "LA", "RGBA", "I;16", "1", "CMYK"]


def _supported(fmt: str, mode: str) -> bool:
    table = {"JPEG": {"L", "RGB", "CMYK", "1"}, "GIF": {"L", "P", "RGB", "1"},
             "BMP": {"L", "RGB", "P", "1", "RGBA"}, "WEBP": {"L", "RGB", "RGBA", "P", "LA"},
             "PNG": {"L", "RGB", "P", "LA", "RGBA", "I;16", "1"},
             "TIFF": {"L", "RGB", "P", "LA", "RGBA", "I;16", "1", "CMYK"},
             "AVIF": {"L", "RGB", "RGBA"}, "HEIF": {"L", "RGB", "RGBA", "I;16"}}
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


@pytest.mark.parametrize("fmt", ["JPEG", "HEIF", "AVIF"])
def test_exif_orientation_is_honoured(fmt):
    upright = preprocess_image(f.encode(f.drawn_digit(7, (280, 280), mode="RGB",
                                                      ink=(0, 0, 0), paper=(255,) * 3), "JPEG"))
    for orientation in (3, 6, 8):
        out = preprocess_image(f.exif_rotated_bytes(7, orientation=orientation, fmt=fmt))
        assert np.corrcoef(out, upright)[0, 1] > 0.9, (fmt, orientation)
    if fmt == "JPEG":  # the control (a HEIF's or AVIF's rotation box is applied by its decoder, always)
        raw = Image.open(io.BytesIO(f.exif_rotated_bytes(7, orientation=6)))
        ignored = preprocess_image(Image.fromarray(np.asarray(raw)))  # EXIF dropped: still rotated
        assert np.corrcoef(ignored, upright)[0, 1] < 0.6


def test_load_image_returns_loaded_upright_image():
    img = load_image(f.exif_rotated_bytes(7, size=200, orientation=6))
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


def test_tiny_images_are_accepted_down_to_8px():
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


# --- hostile input, refused formats, cheap shrinking -------------------------------------------

from tests.support import bad_images  # noqa: E402  (kept next to the tests that use it)
from digit_classifier.preprocessing.loading import header_pixels, shrink  # noqa: E402

BAD_FILES = bad_images.all_bad_files()


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_files_give_an_image_error_or_a_digit(name):
    try:
        out = preprocess_image(BAD_FILES[name])
    except ImageError as error:
        assert error.code in {"empty", "not_an_image", "too_large", "too_small", "no_ink"}
    else:
        assert out.shape == (784,)  # e.g. a corruption in a chunk Pillow does not need


@pytest.mark.parametrize("name", list(bad_images.refused_formats()))
def test_formats_outside_the_allow_list_are_refused(name):
    with pytest.raises(ImageError) as info:
        load_image(bad_images.refused_formats()[name])
    assert info.value.code == "not_an_image" and "PNG, JPEG, GIF, BMP, WebP, TIFF, AVIF or HEIC" in str(info.value)


def test_a_malformed_second_tiff_page_is_never_read():
    img = load_image(bad_images.tiff_bad_second_ifd())
    assert img.format == "TIFF" and img.size == (64, 64)


@pytest.mark.parametrize("mode", ["La", "RGBa", "CMYK", "YCbCr", "LAB", "HSV", "PA"])
def test_odd_modes_are_normalised(mode):
    img = load_image(Image.new(mode, (40, 30)))
    assert img.mode in {"RGB", "RGBA", "PA"}
    to_planes = __import__("digit_classifier.preprocessing.loading", fromlist=["to_planes"]).to_planes
    channels, _ = to_planes(shrink(img, 20))
    assert channels.shape[1:] == (15, 20)


def _big(mode: str, rng: np.random.Generator) -> Image.Image:
    size = (1303, 1701)
    if mode == "1":
        return Image.fromarray(rng.random(size) > 0.5).convert("1")
    if mode == "I;16":
        return Image.fromarray(rng.integers(0, 65535, size, dtype=np.uint16))
    if mode in ("RGBA", "LA"):
        return Image.fromarray(rng.integers(0, 255, size + (4,), dtype=np.uint8), "RGBA").convert(mode)
    colour = Image.fromarray(rng.integers(0, 255, size + (3,), dtype=np.uint8))
    img = colour.convert("P", palette=Image.Palette.ADAPTIVE) if mode != "P-grey" else \
        Image.fromarray(rng.integers(0, 255, size, dtype=np.uint8)).convert("P")
    if mode == "P-transparent":
        img.info["transparency"] = 3
    return img


@pytest.mark.parametrize("mode", ["1", "I;16", "P", "P-grey", "P-transparent", "RGBA", "LA"])
def test_strip_shrink_equals_converting_first(mode):
    img = _big(mode, np.random.default_rng(0))
    wide = {"I;16": "F", "P-transparent": "RGBA", "RGBA": "RGBA", "LA": "LA"}.get(mode, "RGB")
    expected = np.asarray(img.convert(wide).resize((512, 392), Image.Resampling.BOX), dtype=np.float32)
    got = np.asarray(shrink(img, 512), dtype=np.float32)
    if got.ndim == 2 and expected.ndim == 3:
        assert (expected[..., 0] == expected[..., 2]).all()   # grey content: L equals each band
        expected = expected[..., 0]
    np.testing.assert_array_equal(got, expected)


def test_header_pixels_reads_only_the_header():
    assert header_pixels(bad_images.png_header_only(7000, 5000)) == 35_000_000
    assert header_pixels(b"not an image") == 0


def test_webp_has_a_lower_pixel_cap():
    big = f.encode(Image.new("L", (4001, 4000), 255), "WEBP", lossless=True)
    with pytest.raises(ImageError) as info:
        load_image(big)
    assert info.value.code == "too_large" and "for WEBP is 16000000" in str(info.value)
    assert load_image(f.encode(Image.new("L", (4000, 4000), 255), "WEBP", lossless=True)).size == (4000, 4000)


@pytest.mark.parametrize("fmt", ["AVIF", "HEIF"])
def test_damaged_avif_and_heif_are_refused_not_crashed(fmt):
    """Pillow's AVIF decoder raises RuntimeError on damaged data (a 500 before): 300 copies of
    a small digit, each with 5 random bytes overwritten, decode or raise ImageError."""
    data = f.encode(f.drawn_digit(3, (120, 120), mode="RGB"), fmt)
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(300):
        damaged = bytearray(data)
        for at in rng.integers(20, len(data), size=5):
            damaged[int(at)] = int(rng.integers(0, 256))
        try:
            preprocess_image(bytes(damaged))
            outcomes.add("read")
        except ImageError as error:
            outcomes.add(error.code)
    assert "not_an_image" in outcomes   # any other exception fails the test where it is raised


@pytest.mark.parametrize("fmt,params", [("HEIF", {"quality": 10}), ("AVIF", {"speed": 10, "quality": 10})])
def test_heif_and_avif_have_a_24_mp_cap(fmt, params):
    """Both decode only at full size: over 24 MP is refused from the header, at 24 MP read."""
    with pytest.raises(ImageError) as info:
        load_image(f.encode(Image.new("L", (4899, 4899), 255), fmt, **params))
    assert info.value.code == "too_large" and f"for {fmt} is 24000000" in str(info.value)
    if fmt == "AVIF":  # a 24 MP HEIC takes seconds to encode: the AVIF one shows the cap admits
        assert load_image(f.encode(Image.new("L", (4898, 4898), 255), fmt, **params)).size == (4898, 4898)
