"""Thick-pen drawings (the web page's 22 px canvas pen): strokes that span the pad are
not taken for ruled lines, and a loop the pen filled in does not trigger thinning that
erases the other strokes."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digit_classifier.preprocessing import mnist_form, rules
from digit_classifier.preprocessing import PreprocessConfig, trace_image

PEN = 22
REPO = Path(__file__).resolve().parents[2]


def _png(draw_fn, size: int = 280) -> bytes:
    img = Image.new("L", (size, size), 255)
    draw_fn(ImageDraw.Draw(img))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("thickness, erased", [(2, True), (4, True), (PEN, False)])
def test_only_thin_full_width_lines_count_as_rules(thickness, erased):
    flat = np.zeros((280, 280), np.float32)
    flat[100:100 + thickness, :] = 1.0            # a line across the whole picture
    flat[150:250, 130:140] = 1.0                  # and some handwriting under it
    out = rules.erase_rules(flat, 0.5)
    line_left = float(out[100:100 + thickness].max())
    assert (line_left == 0.0) == erased
    np.testing.assert_array_equal(out[150:250, 130:140], 1.0)


def test_wide_seven_keeps_its_bar():
    """A 7 whose bar runs from edge to edge of the pad (6..274 px of 280)."""
    def seven(d):
        d.line([(6, 40), (274, 40)], fill=0, width=PEN)
        d.line([(266, 40), (120, 260)], fill=0, width=PEN)
    image28 = trace_image(_png(seven), PreprocessConfig()).image28
    rows = np.flatnonzero(image28.max(axis=1) > 0.5)
    top = image28[rows[0]:rows[0] + 4]
    # The bar is there: the top rows of the digit carry ink across most of the 20 px box.
    assert np.count_nonzero(top.max(axis=0) > 0.5) >= 12


def test_run_width_ignores_a_filled_loop():
    mask = np.zeros((100, 70), bool)
    mask[5:45, 15:55] = True                       # the top loop, filled by the pen
    ring = np.zeros_like(mask)
    yy, xx = np.mgrid[:100, :70]
    r = np.hypot(yy - 70, xx - 35)
    ring[(r >= 14) & (r <= 26)] = True             # a 12-13 px wide lower loop
    mask |= ring
    assert mnist_form.stroke_width(mask) > 16      # the mean is pulled up by the blob
    assert 10 <= mnist_form.run_width(mask) <= 15


def test_small_eight_with_filled_top_keeps_its_lower_loop():
    """A drawing of the canvas set: a small 8 whose top loop the pen filled. Thinning by
    the blob-inflated mean width used to erode the lower loop to faint fragments."""
    src = (REPO / "bench" / "canvas_digits" / "8_small_top_00.png").read_bytes()
    image28 = trace_image(src, PreprocessConfig(deskew=True)).image28
    assert image28[14:].sum() >= image28[:14].sum()   # the lower loop keeps its ink
