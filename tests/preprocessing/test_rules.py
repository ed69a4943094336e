"""Ruled lines on a page photographed askew: the slope search, the shear and the eraser."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digit_classifier.preprocessing import preprocess_image, rules, trace_image
from tests.support import images as f

SIZE = (240, 180)  # (w, h)


def _lines(slope: float, rows=(20, 60, 100, 140), width: int = 2, level: int = 150) -> np.ndarray:
    """(h, w) float32 ink map: lines starting at ``rows`` on the left and rising
    ``round(slope * w)`` rows across (whole-pixel ends, as Pillow draws them)."""
    img = Image.new("L", SIZE, 0)
    draw = ImageDraw.Draw(img)
    for y in rows:
        draw.line([(0, y), (SIZE[0] - 1, y + round(slope * SIZE[0]))], fill=level, width=width)
    return np.asarray(img, np.float32) / 255.0


def _digit(index: int = 0) -> np.ndarray:
    """(h, w) float32 ink map: MNIST test digit ``index`` 120 px tall in the page's middle."""
    ink = np.zeros(SIZE[::-1], np.float32)
    digit = Image.fromarray(f.mnist_digit(index)[0]).resize((120, 120), Image.Resampling.BICUBIC)
    ink[30:150, 60:180] = np.asarray(digit, np.float32) / 255.0
    return ink


@pytest.mark.parametrize("slope", [-0.07, -0.03, 0.02, 0.05])
def test_rule_slope_finds_the_slope_of_a_page_of_rules(slope):
    mask = np.maximum(_lines(slope), _digit()) > 0.3
    drawn = round(slope * SIZE[0]) / (SIZE[0] - 1)
    # Off by at most a row and a half across the page: the eraser looks 1 row either way
    # (the 3-row maximum) and a 2 px line covers one more.
    assert abs(rules.rule_slope(mask) - drawn) * SIZE[0] <= 1.5


def test_rule_slope_is_level_for_level_rules_a_digit_alone_and_paper():
    assert rules.rule_slope(np.maximum(_lines(0.0), _digit()) > 0.3) == 0.0
    assert rules.rule_slope(_digit() > 0.3) == 0.0
    assert rules.rule_slope(np.zeros(SIZE[::-1], bool)) == 0.0


@pytest.mark.parametrize("slope", [-0.06, -0.2 / 7, 0.5 / 7])
def test_shear_and_unshear_give_the_map_back(slope):
    flat = np.random.default_rng(0).random((50, 70)).astype(np.float32)
    shifts = np.rint(slope * np.arange(70)).astype(np.intp)
    sheared = rules._shear(flat, shifts)
    assert sheared.shape == (50 + shifts.max() - shifts.min(), 70)
    np.testing.assert_array_equal(rules._unshear(sheared, shifts, 50), flat)


@pytest.mark.parametrize("slope", [-0.06, 0.03])
def test_rules_on_a_page_askew_are_erased_and_the_digit_stays(slope):
    lines, digit = _lines(slope), _digit()
    flat = np.maximum(lines, digit)
    erased = rules.erase_rules(flat, 0.3)
    paper = (lines > 0) & (digit == 0)
    assert erased[paper].sum() < 0.05 * flat[paper].sum()        # the lines are gone ...
    near = np.zeros_like(paper)
    for shift in range(-4, 5):  # the erased band: the line's rows and the 3-row maximum's
        near |= np.roll(lines, shift, axis=0) > 0
    away = (digit > 0) & ~near
    np.testing.assert_array_equal(erased[away], flat[away])        # ... the digit off them stays


def test_one_tilted_stroke_is_not_a_page_of_rules():
    """A long bar at a slope (a "7" cropped tight) lines up alone: nothing is erased."""
    flat = np.maximum(_lines(0.04, rows=(40,), width=4, level=255), _digit())
    assert rules.erase_rules(flat, 0.3) is flat


def test_a_notebook_photographed_askew_is_read_without_its_rules(monkeypatch):
    """A thin digit on ruled paper with a margin line, turned 3 degrees: read as the digit
    alone is; with the slope search off (the level test alone) the rules stay."""
    page = Image.new("RGB", (300, 260), (248, 247, 240))
    draw = ImageDraw.Draw(page)
    for y in range(-40, 300, 32):
        draw.line([(-40, y), (340, y)], fill=(150, 180, 225), width=2)
    draw.line([(40, -40), (40, 300)], fill=(220, 90, 100), width=2)
    pixels = np.asarray(Image.fromarray(f.mnist_digit(3)[0]).resize((130, 130), Image.Resampling.BICUBIC))
    alone = Image.new("RGB", (300, 260), (248, 247, 240))
    for canvas in (page, alone):
        canvas.paste((30, 40, 140), (90, 60), Image.fromarray(pixels))
    buffers = []
    for canvas in (page, alone):
        buffer = io.BytesIO()
        turned = canvas.rotate(3, Image.Resampling.BICUBIC, fillcolor=(248, 247, 240))
        turned.crop((20, 20, 280, 240)).save(buffer, "PNG")
        buffers.append(buffer.getvalue())
    clean = preprocess_image(buffers[1])
    assert np.corrcoef(trace_image(buffers[0]).image28.reshape(784), clean)[0, 1] > 0.9
    monkeypatch.setattr(rules, "rule_slope", lambda mask: 0.0)
    assert np.corrcoef(trace_image(buffers[0]).image28.reshape(784), clean)[0, 1] < 0.7
