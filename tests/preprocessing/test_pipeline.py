"""The MNIST-form pipeline: polarity, transparency, placement, size, modes, robustness."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digit_classifier.preprocessing import (ImageError, PreprocessConfig, preprocess_image,
                                            preprocess_images, trace_image)
from tests.support import images as f


def _centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    img = img.reshape(28, 28)
    total = img.sum()
    idx = np.arange(28)
    return float(img.sum(1) @ idx / total), float(img.sum(0) @ idx / total)


def _bbox_long_side(img: np.ndarray, level: float = 0.1) -> int:
    rows, cols = np.nonzero(img.reshape(28, 28) > level)
    return int(max(rows.max() - rows.min(), cols.max() - cols.min()) + 1)


@pytest.mark.parametrize("digit", range(10))
def test_output_form(digit):
    out = preprocess_image(f.digit_png_bytes(digit))
    assert out.shape == (784,) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0 and out.max() > 0.9
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 14) <= 1.0 and abs(cx - 14) <= 1.0
    assert 19 <= _bbox_long_side(out) <= 21
    corners = out.reshape(28, 28)[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners == 0).all()


@pytest.mark.parametrize("digit", [0, 3, 7])
def test_both_polarities_agree(digit):
    dark = preprocess_image(f.digit_png_bytes(digit, dark_on_light=True))
    light = preprocess_image(f.digit_png_bytes(digit, dark_on_light=False))
    assert np.corrcoef(dark, light)[0, 1] > 0.97
    assert np.abs(dark - light).mean() < 0.03


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (30, 60, 200)])
def test_transparent_canvas_drawing(colour):
    out = preprocess_image(f.rgba_canvas_png_bytes(2, colour=colour))
    ref = preprocess_image(f.digit_png_bytes(2))
    assert np.corrcoef(out, ref)[0, 1] > 0.95


def test_opaque_photo_with_transparent_corners():
    img = f.drawn_digit(5, (300, 300), mode="RGBA", ink=(20, 20, 20, 255),
                        paper=(240, 240, 240, 255))
    arr = np.asarray(img).copy()
    arr[:30, :30, 3] = 0  # a clipped corner: transparent, colour garbage
    arr[:30, :30, :3] = 0
    out = preprocess_image(f.encode(Image.fromarray(arr, "RGBA"), "PNG"))
    assert np.corrcoef(out, preprocess_image(f.digit_png_bytes(5)))[0, 1] > 0.95


def test_off_centre_digit_in_large_canvas_ends_centred():
    out = preprocess_image(f.off_centre_png_bytes(3))
    ref = preprocess_image(f.digit_png_bytes(3))
    cy, cx = _centre_of_mass(out)
    assert abs(cy - 14) <= 1.0 and abs(cx - 14) <= 1.0
    assert np.corrcoef(out, ref)[0, 1] > 0.85


def test_rectangular_image():
    out = preprocess_image(f.rectangular_png_bytes(0))
    assert 19 <= _bbox_long_side(out) <= 21


def test_specks_and_ruled_lines_are_dropped():
    img = f.drawn_digit(4, (400, 400), ink=30, paper=235, scale=0.5)
    draw = ImageDraw.Draw(img)
    for y in range(25, 400, 60):
        draw.line([(0, y), (400, y + 2)], fill=150, width=2)
    for x, y in [(20, 20), (380, 370), (30, 350)]:
        draw.ellipse([x, y, x + 4, y + 4], fill=30)
    out = preprocess_image(f.encode(img, "PNG"))
    clean = preprocess_image(f.digit_png_bytes(4))
    assert np.corrcoef(out, clean)[0, 1] > 0.85


def test_uneven_lighting_and_noise_photo():
    out = preprocess_image(f.huge_jpeg_bytes(size=(1600, 1200)))
    ref = preprocess_image(f.digit_png_bytes(5))
    assert np.corrcoef(out, ref)[0, 1] > 0.85


def test_huge_photo():
    out = preprocess_image(f.huge_jpeg_bytes())
    ref = preprocess_image(f.digit_png_bytes(5))
    assert np.corrcoef(out, ref)[0, 1] > 0.85


def test_coloured_ink_on_coloured_paper():
    img = f.drawn_digit(6, (300, 300), mode="RGB", ink=(40, 70, 220), paper=(235, 225, 120))
    out = preprocess_image(f.encode(img, "JPEG", quality=80))
    ref = preprocess_image(f.digit_png_bytes(6))
    assert np.corrcoef(out, ref)[0, 1] > 0.9


@pytest.mark.parametrize("stroke", [0.02, 0.3])
def test_thin_and_thick_strokes_come_out_mnist_like(stroke):
    out = preprocess_image(f.encode(f.drawn_digit(7, (600, 600), stroke=stroke), "PNG"))
    ink_pixels = int((out > 0.5).sum())
    assert 40 <= ink_pixels <= 200, ink_pixels  # MNIST digits: ~100 (5-95%: ~55-190)


def test_center_mode():
    cfg = PreprocessConfig(mode="center")
    dark = preprocess_image(f.digit_png_bytes(1, dark_on_light=True), cfg)
    light = preprocess_image(f.digit_png_bytes(1, dark_on_light=False), cfg)
    assert dark.shape == (784,) and dark.max() > 0.5
    assert np.corrcoef(dark, light)[0, 1] > 0.95
    # centre mode does not crop: a digit at the edge stays at the edge
    edge = preprocess_image(f.rectangular_png_bytes(1, size=(300, 300)), cfg)
    mnist = preprocess_image(f.rectangular_png_bytes(1, size=(300, 300)))
    assert _centre_of_mass(edge)[1] < 11 < _centre_of_mass(mnist)[1]


def test_batch_equals_single():
    datas = [f.digit_png_bytes(d) for d in (1, 2, 3)]
    batch = preprocess_images(datas)
    assert batch.shape == (3, 784)
    for row, data in zip(batch, datas):
        np.testing.assert_array_equal(row, preprocess_image(data))
    assert preprocess_images([]).shape == (0, 784)


def test_trace_stages():
    tr = trace_image(f.digit_png_bytes(8))
    assert tr.mask.shape == tr.ink.shape and tr.mask.any()
    assert tr.image28.shape == (28, 28)
    assert tr.ink[tr.mask].mean() > tr.ink[~tr.mask].mean() + 0.5


def test_config_roundtrip_and_validation():
    cfg = PreprocessConfig(mode="center", deskew=True)
    assert PreprocessConfig.from_dict(cfg.to_dict()) == cfg
    assert PreprocessConfig.from_dict({}) == PreprocessConfig()
    with pytest.raises(ValueError, match="bogus"):
        PreprocessConfig.from_dict({"bogus": 1})
    with pytest.raises(ValueError, match="mode"):
        PreprocessConfig(mode="square")


def test_deskew_config_changes_served_output():
    data = f.digit_png_bytes(1)
    plain = preprocess_image(data)
    skewed = preprocess_image(data, PreprocessConfig(deskew=True))
    assert not np.array_equal(plain, skewed)


@pytest.mark.parametrize("top, bottom", [(31, 249), (5, 275), (0, 280)])
def test_a_lone_straight_stroke_is_a_one_not_a_ruled_line(top, bottom):
    """A "1" drawn as one vertical stroke, even edge to edge, is a digit, not a rule to erase."""
    canvas = Image.new("RGB", (280, 280), "white")
    ImageDraw.Draw(canvas).line([(140, top), (140, bottom)], fill="black", width=22)
    buffer = io.BytesIO()
    canvas.save(buffer, "PNG")
    image = preprocess_image(buffer.getvalue()).reshape(28, 28)
    columns = np.nonzero(image.sum(axis=0) > 0.5)[0]
    rows = np.nonzero(image.sum(axis=1) > 0.5)[0]
    assert rows.size >= 18  # tall, fitted to 20 px
    assert columns.size <= 6 and abs(columns.mean() - 14) <= 1.5  # thin, centred


def test_undecodable_bytes_message_does_not_leak_python_objects():
    with pytest.raises(ImageError) as info:
        preprocess_image(b"definitely not an image")
    assert info.value.code == "not_an_image"
    assert "object at 0x" not in str(info.value)
