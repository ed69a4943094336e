"""Candidate crops: named hypotheses, model-free, the plain crop always among them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digit_classifier.preprocessing import (PreprocessConfig, candidate_rows, preprocess_image, trace_candidates,
                                            trace_image)
from tests.support import images as f


@pytest.mark.parametrize("data", [f.digit_png_bytes(3), f.digit_jpeg_bytes(4), f.rgba_canvas_png_bytes(2),
                                  f.huge_jpeg_bytes(size=(1000, 800))])
def test_rules_first_then_the_plain_crop(data):
    traces = trace_candidates(data)
    assert [t.candidate for t in traces] == ["rules", "plain"]
    rows = candidate_rows(traces)
    assert rows.shape == (2, 784) and rows.dtype == np.float32
    assert 0.0 <= rows.min() and rows.max() <= 1.0
    np.testing.assert_array_equal(preprocess_image(data), rows[0])
    assert trace_image(data).candidate == "rules"


def test_the_plain_crop_is_the_bounding_box_of_all_the_ink():
    img = np.full((200, 200), 255, np.uint8)
    img[40:160, 95:105] = 0        # a "1"
    img[185:195, 5:15] = 0         # a blot far from it: the rules drop it, the plain crop keeps it
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    data = buf.getvalue()
    rules, plain = trace_candidates(data)
    assert plain.crop.shape[0] > rules.crop.shape[0]
    assert plain.mask[190, 10] and not rules.mask[190, 10]


def test_center_mode_has_one_candidate():
    traces = trace_candidates(f.digit_png_bytes(3), PreprocessConfig(mode="center"))
    assert [t.candidate for t in traces] == ["center"]
