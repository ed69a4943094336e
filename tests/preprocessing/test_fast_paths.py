"""The fast building blocks agree with the straightforward NumPy versions they replaced."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from digit_classifier.imaging import components, ink, mnist_form
from digit_classifier.preprocessing import preprocess_image, trace_image
from tests import image_factory as f


def _ref_otsu(values: np.ndarray) -> float:
    hist, edges = np.histogram(values, bins=256, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist.astype(float)); w1 = w0[-1] - w0
    s0 = np.cumsum(hist * centres)
    m0 = s0 / np.maximum(w0, 1e-12); m1 = (s0[-1] - s0) / np.maximum(w1, 1e-12)
    return float(edges[int(np.argmax(w0 * w1 * (m0 - m1) ** 2)) + 1])


def _ref_filter(x: np.ndarray, size: int, reduce) -> np.ndarray:
    r = size // 2
    p = np.pad(x, r, mode="edge")
    h, w = x.shape
    return reduce([p[i:i + h, j:j + w] for i in range(size) for j in range(size)], axis=0)


def _ref_block_background(x: np.ndarray, blocks: int = 8) -> np.ndarray:
    h, w = x.shape
    bs = max(4, int(np.ceil(max(h, w) / blocks)))
    gh, gw = -(-h // bs), -(-w // bs)
    padded = np.pad(x, ((0, gh * bs - h), (0, gw * bs - w)), mode="edge")
    tiles = padded.reshape(gh, bs, gw, bs).transpose(0, 2, 1, 3).reshape(gh, gw, bs * bs)
    grid = _ref_filter(np.percentile(tiles, 20, axis=2).astype(np.float32), 3, np.min)
    big = Image.fromarray(grid, mode="F").resize((gw * bs, gh * bs), Image.Resampling.BILINEAR)
    return np.asarray(big, np.float32)[:h, :w]


def _ref_erase_rules(flat: np.ndarray, threshold: float) -> np.ndarray:
    out = flat.copy()
    for src, dst in ((flat, out), (flat.T, out.T)):
        padded = np.pad(src, ((1, 1), (0, 0)))
        vmax = np.maximum(np.maximum(padded[:-2], padded[1:-1]), padded[2:])
        edge = max(1, int(0.05 * src.shape[1]))
        level = np.median(vmax, axis=1)
        rule = ((level > threshold) & (vmax[:, :edge].max(axis=1) > threshold)
                & (vmax[:, -edge:].max(axis=1) > threshold))
        dst[rule] = np.clip(dst[rule] - level[rule, None], 0.0, None)
    return out


@pytest.mark.parametrize("n", [1, 2, 7, 784, 5000, ink.EXACT_LIMIT])
def test_quantiles_match_percentile_exactly_on_small_arrays(n):
    x = np.random.default_rng(n).random(n).astype(np.float32)
    q = [0, 0.5, 20, 50, 75, 99.5, 99.9, 100]
    np.testing.assert_allclose(ink.quantiles(x, q), np.percentile(x, q), rtol=1e-6, atol=1e-7)
    assert ink.quantiles(x, 50) == pytest.approx(float(np.median(x)), abs=1e-7)


def test_quantiles_of_big_arrays_within_one_histogram_bin():
    x = np.random.default_rng(0).gamma(2.0, size=ink.EXACT_LIMIT * 3).astype(np.float32)
    q = [0.5, 50, 99.5]
    width = (x.max() - x.min()) / 4096
    assert np.abs(ink.quantiles(x, q) - np.percentile(x, q)).max() <= 1.01 * width
    with pytest.raises(ValueError, match="empty"):
        ink.quantiles(np.zeros(0), 50)


@pytest.mark.parametrize("seed", range(4))
def test_otsu_matches_histogram_reference(seed):
    rng = np.random.default_rng(seed)
    x = np.clip(np.concatenate([rng.normal(0.1, 0.05, 900), rng.normal(0.7, 0.1, 200),
                                [0.0, 1.0, 0.5]]), 0, 1).astype(np.float32)
    assert ink.otsu_threshold(x) == _ref_otsu(x)


@pytest.mark.parametrize("shape", [(28, 28), (37, 90), (280, 280), (200, 130)])
def test_flatten_matches_block_percentile_reference(shape):
    h, w = shape
    rng = np.random.default_rng(h * w)
    shade = np.linspace(0, 0.3, w, dtype=np.float32)[None, :] * np.ones((h, 1), np.float32)
    x = shade + (rng.random(shape) < 0.05) * np.float32(0.6)
    ref = _ref_block_background(x)
    expect = np.clip((x - ref) / np.maximum(1 - ref, 0.25), 0, None)
    np.testing.assert_allclose(ink.flatten(x), expect, atol=1e-5)
    flat = np.zeros(shape, np.float32) + np.float32(0.2)  # uniform paper takes the short cut
    flat[h // 3:h // 2, w // 3:w // 2] = 0.9
    ref = _ref_block_background(flat)
    np.testing.assert_allclose(ink.flatten(flat), np.clip((flat - ref) / (1 - ref), 0, None),
                               atol=1e-6)


def test_erase_rules_matches_reference_and_skips_clean_images():
    rng = np.random.default_rng(3)
    flat = (rng.random((120, 160)) * 0.05).astype(np.float32)
    flat[30:33, :] += 0.5                   # a ruled row
    flat[:, 100] += 0.4                     # a ruled column
    flat[40:90, 60:64] = 0.9                # a stroke crossing neither end
    t = 0.2
    np.testing.assert_allclose(ink.erase_rules(flat, t), _ref_erase_rules(flat, t), atol=1e-7)
    clean = flat.copy()
    clean[30:33, :] = 0.01
    clean[:, 100] = 0.01
    assert ink.erase_rules(clean, t) is clean
    np.testing.assert_array_equal(_ref_erase_rules(clean, t), clean)


@pytest.mark.parametrize("seed", range(3))
def test_rank_filters_match_numpy(seed):
    x = np.random.default_rng(seed).random((23, 31)).astype(np.float32)
    np.testing.assert_array_equal(mnist_form.filter3(x, 1), _ref_filter(x, 3, np.max))
    np.testing.assert_array_equal(mnist_form.filter3(x, -1), _ref_filter(x, 3, np.min))
    mask = x > 0.93
    np.testing.assert_array_equal(mnist_form.dilate(mask, 5),
                                  _ref_filter(mask.astype(float), 5, np.max) > 0)


@pytest.mark.parametrize("seed,density", [(0, 0.02), (1, 0.1), (2, 0.4)])
def test_digit_runs_equal_label_and_select(seed, density):
    rng = np.random.default_rng(seed)
    mask = rng.random((60, 75)) < density
    mask[10:50, 30:34] = True
    weight = rng.random(mask.shape)
    labels, n = components.label_components(mask)
    runs, in_digit = components.digit_runs(mask, weight)
    assert runs.n == n
    np.testing.assert_array_equal(components.paint(runs, in_digit) > 0,
                                  components.select_digit(labels, n, weight))
    np.testing.assert_array_equal(components.paint(runs, runs.label + 1), labels)


def test_run_stats_match_pixel_stats():
    rng = np.random.default_rng(5)
    mask = rng.random((40, 50)) < 0.3
    weight = rng.random(mask.shape)
    labels, n = components.label_components(mask)
    a = components.run_stats(components.find_runs(mask), weight)
    b = components.component_stats(labels, n, weight)
    for name in ("area", "top", "left", "bottom", "right"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_allclose(a.mass, b.mass)


@pytest.mark.parametrize("data", [f.digit_png_bytes(4), f.rgba_canvas_png_bytes(6)])
def test_preprocess_equals_trace_final_stage(data):
    np.testing.assert_array_equal(preprocess_image(data), trace_image(data).image28.reshape(784))
