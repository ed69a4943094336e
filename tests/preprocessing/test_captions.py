"""Captions beside or under a thin-pen digit: the rules' crop keeps the digit and leaves the text out."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.preprocessing import trace_image
from digit_classifier.preprocessing.components import bounding_box, label_components
from digit_classifier.preprocessing.selection import select_digit
from tests.support import images as f


@pytest.mark.parametrize("where", ["under", "beside"])
@pytest.mark.parametrize("digit", range(10))
def test_the_rules_crop_leaves_a_caption_out(digit, where):
    page, caption = f.captioned_page(digit, where)
    top, left, bottom, right = caption
    mask = trace_image(page).mask
    assert not mask[top:bottom + 1, left:right + 1].any()
    # ... and keeps the whole digit: the same box as on the page without the caption
    alone = trace_image(f.captioned_page(digit, None)[0]).mask
    assert bounding_box(mask) == bounding_box(alone)


def test_a_tall_thin_digit_seeds_before_heavier_short_letters():
    """Three bold letters, each heavier than a thin "1", a third of its height below it."""
    mask = np.zeros((120, 120), bool)
    mask[10:70, 50:52] = True                     # the "1": 60 x 2 px, mass 120
    for left in (30, 50, 70):                     # letters: 12 x 14 px each, mass 168
        mask[90:102, left:left + 14] = True
    labels, n = label_components(mask)
    chosen = select_digit(labels, n, mask.astype(float))
    assert chosen[10:70, 50:52].all()
    assert not chosen[90:102].any()


def test_a_long_broken_off_stroke_still_joins_from_afar():
    """A far piece joins when it is long enough to be a stroke (half the digit's side). (The
    bar starts right of the stem's left side: spanning all its columns it would be a line
    drawn under the digit, ``selection._underlines``, tested in ``test_frames.py``.)"""
    mask = np.zeros((140, 140), bool)
    mask[20:80, 60:64] = True                     # the stem, 60 px
    mask[100:104, 62:102] = True                  # a 40 px bar 20 px below (gap 0.33 x 60)
    mask[100:108, 125:133] = True                 # a blot as far: too small to be a stroke
    labels, n = label_components(mask)
    chosen = select_digit(labels, n, mask.astype(float))
    assert chosen[20:80, 60:64].all() and chosen[100:104, 62:102].all()
    assert not chosen[100:108, 125:133].any()


def test_the_quick_model_reads_captioned_digits_as_it_reads_them_alone(quick_model_path):
    """The whole Predictor (every candidate, the winner rule): the caption changes no answer."""
    from digit_classifier.predictor import Predictor

    predictor = Predictor.from_file(quick_model_path)
    alone = [predictor.predict(f.captioned_page(d, None)[0]).digit for d in range(10)]
    for where in ("under", "beside"):
        captioned = [predictor.predict(f.captioned_page(d, where)[0]).digit for d in range(10)]
        assert captioned == alone, where
    assert sum(d == a for d, a in enumerate(alone)) >= 8   # and the digits are read right
