"""Objects lying beside the digit (a coin, an eraser, a pen much wider than its strokes)
never join it (``selection._objects``), from the components' second moments
(``Components.spread``); a pen the rules took for the digit gives a "beside" candidate,
the digit written beside it (``crops.beside_pen``)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digit_classifier.preprocessing import selection, trace_candidates
from digit_classifier.preprocessing.components import (component_stats, find_runs,
                                                       label_components, run_stats)
from tests.support import images as f


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spread_is_each_components_pixel_variance_and_covariance(seed):
    """Both statistics paths (runs and label image) give np.var / the covariance of each
    component's pixel coordinates."""
    mask = np.random.default_rng(seed).random((40, 50)) < 0.35
    labels, n = label_components(mask)
    by_runs = run_stats(find_runs(mask), mask.astype(np.float64))
    by_labels = component_stats(labels, n, mask.astype(np.float64))
    for k in range(n):
        rows, cols = np.nonzero(labels == k + 1)
        expected = [rows.var(), cols.var(), ((rows - rows.mean()) * (cols - cols.mean())).mean()]
        np.testing.assert_allclose(by_runs.spread[k], expected, atol=1e-9)
        np.testing.assert_allclose(by_labels.spread[k], expected, atol=1e-9)


def _photo(index: int, draw_object) -> bytes:
    """MNIST test digit ``index`` written dark on a 400x400 page (its 28 px frame 168 px,
    at the left), with a light object drawn on its right, 20-40 px from the ink, by
    ``draw_object(ImageDraw)``; PNG."""
    page = Image.new("L", (400, 400), 240)
    page.paste(f.mnist_digit_image(f.mnist_digit(index)[0], scale=6), (40, 116))
    draw_object(ImageDraw.Draw(page))
    return f.encode(page, "PNG")


def _coin(draw: ImageDraw.ImageDraw) -> None:
    """A 100 px grey disc (a coin), its left edge at x = 205."""
    draw.ellipse([205, 150, 305, 250], fill=170)


def test_a_coin_beside_the_digit_is_left_out(monkeypatch):
    """With the coin left out the 28x28 is the digit's (median correlation with the MNIST
    original over 10 digits); with the rule off, the coin joins the digit. Where the coin
    outweighs the digit (mass x height) it seeds it instead, with the rule or without
    (3 of these 10: the rule does not move the seed; see docs/preprocessing.md)."""
    photos = [_photo(i, _coin) for i in range(10)]
    assert np.median(f.mnist_correlations(photos)) > 0.9      # measured: 0.92
    monkeypatch.setattr(selection, "_objects", lambda c, candidates, digit: np.zeros(c.area.size, bool))
    assert np.median(f.mnist_correlations(photos)) < 0.6      # measured: 0.39


def _chosen(mask: np.ndarray) -> np.ndarray:
    labels, n = label_components(mask)
    return selection.select_digit(labels, n, mask.astype(np.float32))


def test_bold_pieces_close_to_the_digit_and_bars_as_thin_as_its_strokes_stay(monkeypatch):
    """A bold piece within ``OBJECT_GAP`` of the digit's box (a marker's broken stroke) and
    a bar no wider than the strokes (a "4"'s upright drawn apart) are parts of the digit; the
    same bold piece further out is an object."""
    mask = np.zeros((80, 80), bool)
    mask[10:70, 20:24] = True                  # the main stroke, 4 px wide
    mask[10:14, 20:50] = True                  # with a bar: one component
    mask[30:42, 27:39] = True                  # a bold blob 3 px from the stroke
    mask[20:70, 50:54] = True                  # an upright as wide as the stroke
    chosen = _chosen(mask)
    assert chosen[30:42, 27:39].all() and chosen[20:70, 50:54].all()
    far = np.zeros((80, 80), bool)
    far[10:70, 20:24] = True
    far[10:14, 20:50] = True
    far[30:42, 58:70] = True                   # the same blob 8 px past the digit's box
    assert not _chosen(far)[30:42, 58:70].any()
    monkeypatch.setattr(selection, "_objects", lambda c, candidates, digit: np.zeros(c.area.size, bool))
    assert _chosen(far)[30:42, 58:70].all()    # without the rule it joins


def test_the_digit_beside_a_pen_is_a_candidate():
    """A pen outweighs a thin-pen digit, so the rules read the pen; the "beside" candidate
    (``crops.beside_pen``) is the digit (median correlation with the MNIST original over 10
    digits), while without it no candidate is. A "1" alone has no "beside" candidate."""
    rng = np.random.default_rng(0)
    beside, best_other = [], []
    for i in range(10):
        original = f.mnist_digit(i)[0].reshape(784) / 255.0
        traces = trace_candidates(f.pen_photo(i, rng))
        corr = {t.candidate: np.corrcoef(t.image28.reshape(784), original)[0, 1] for t in traces}
        beside.append(corr.pop("beside", 0.0))
        best_other.append(max(corr.values()))
    # measured: found for 9 of 10, median 0.76 (a thinned digit against MNIST's bold one)
    assert np.count_nonzero(beside) >= 7 and np.median(beside) > 0.6, np.round(beside, 2)
    assert np.median(best_other) < 0.4, np.round(best_other, 2)   # measured: median 0.24
    one = np.full((200, 200), 255, np.uint8)
    one[40:160, 95:105] = 0
    assert [t.candidate for t in trace_candidates(f.encode(Image.fromarray(one), "PNG"))] == ["rules", "plain"]
