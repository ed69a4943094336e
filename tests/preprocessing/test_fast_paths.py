"""The fast building blocks agree with the straightforward NumPy versions they replaced."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digit_classifier.preprocessing import (background, components, ink_map, mnist_form, rules, selection, stats,
                                            threshold)
from digit_classifier import preprocessing as P
from digit_classifier.preprocessing import preprocess_image, trace_image
from tests.support import images as f
from tests.support import uploads


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


def _ref_block_background(x: np.ndarray, blocks: int = 32,
                          window: int = background.BACKGROUND_WINDOW) -> np.ndarray:
    """Per-block 20th percentile, a window x window opening (minimum, then maximum), bilinear."""
    h, w = x.shape
    bs = max(4, int(np.ceil(max(h, w) / blocks)))
    gh, gw = -(-h // bs), -(-w // bs)
    padded = np.pad(x, ((0, gh * bs - h), (0, gw * bs - w)), mode="edge")
    tiles = padded.reshape(gh, bs, gw, bs).transpose(0, 2, 1, 3).reshape(gh, gw, bs * bs)
    grid = np.percentile(tiles, 20, axis=2).astype(np.float32)
    grid = _ref_opening(grid, window)
    big = Image.fromarray(grid, mode="F").resize((gw * bs, gh * bs), Image.Resampling.BILINEAR)
    return np.asarray(big, np.float32)[:h, :w]


def _ref_opening(grid: np.ndarray, window: int) -> np.ndarray:
    """Opening of the grid, one cell at a time: windows clipped at the edges, but a row or
    column rising toward its edge at every one of its last r steps, none by more than
    MAX_RAMP_STEP, is first carried on past it by its smallest step."""
    r, (gh, gw) = window // 2, grid.shape
    ext = np.full((gh + 2 * r, gw + 2 * r), np.inf)
    ext[r:-r, r:-r] = grid

    def carry(line, out_cells):  # line: values from the edge inwards; out_cells: outward cells
        k = min(r, len(line) - 1)
        rises = [line[i] - line[i + 1] for i in range(k)]
        if k >= 1 and all(0 < d <= background.MAX_RAMP_STEP for d in rises):
            for t, cell in enumerate(out_cells):
                ext[cell] = line[0] + min(rises) * (t + 1)

    for j in range(gw):
        carry(grid[:, j], [(r - 1 - t, r + j) for t in range(r)])
        carry(grid[::-1, j], [(r + gh + t, r + j) for t in range(r)])
    for i in range(gh):
        carry(grid[i, :], [(r + i, r - 1 - t) for t in range(r)])
        carry(grid[i, ::-1], [(r + i, r + gw + t) for t in range(r)])
    H, W = ext.shape
    def window_of(a, i, j):
        return a[max(i - r, 0):i + r + 1, max(j - r, 0):j + r + 1]
    low = np.array([[window_of(ext, i, j).min() for j in range(W)] for i in range(H)])
    low[np.isinf(ext)] = -np.inf
    high = np.array([[window_of(low, i, j).max() for j in range(W)] for i in range(H)])
    return high[r:-r, r:-r].astype(np.float32)


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


@pytest.mark.parametrize("n", [1, 2, 7, 784, 5000, stats.EXACT_LIMIT])
def test_quantiles_match_percentile_exactly_on_small_arrays(n):
    x = np.random.default_rng(n).random(n).astype(np.float32)
    q = [0, 0.5, 20, 50, 75, 99.5, 99.9, 100]
    np.testing.assert_allclose(stats.quantiles(x, q), np.percentile(x, q), rtol=1e-6, atol=1e-7)
    assert stats.quantiles(x, 50) == pytest.approx(float(np.median(x)), abs=1e-7)


def test_quantiles_of_big_arrays_within_one_histogram_bin():
    x = np.random.default_rng(0).gamma(2.0, size=stats.EXACT_LIMIT * 3).astype(np.float32)
    q = [0.5, 50, 99.5]
    width = (x.max() - x.min()) / 4096
    assert np.abs(stats.quantiles(x, q) - np.percentile(x, q)).max() <= 1.01 * width
    with pytest.raises(ValueError, match="empty"):
        stats.quantiles(np.zeros(0), 50)


@pytest.mark.parametrize("seed", range(4))
def test_otsu_matches_histogram_reference(seed):
    rng = np.random.default_rng(seed)
    x = np.clip(np.concatenate([rng.normal(0.1, 0.05, 900), rng.normal(0.7, 0.1, 200),
                                [0.0, 1.0, 0.5]]), 0, 1).astype(np.float32)
    assert stats.otsu_threshold(x) == _ref_otsu(x)


@pytest.mark.parametrize("shape", [(28, 28), (37, 90), (280, 280), (200, 130)])
def test_flatten_matches_block_percentile_reference(shape):
    h, w = shape
    rng = np.random.default_rng(h * w)
    shade = np.linspace(0, 0.3, w, dtype=np.float32)[None, :] * np.ones((h, 1), np.float32)
    x = shade + (rng.random(shape) < 0.05) * np.float32(0.6)
    ref = _ref_block_background(x)
    expect = np.clip((x - ref) / np.maximum(1 - ref, 0.25), 0, None)
    np.testing.assert_allclose(background.flatten(x), expect, atol=1e-5)
    flat = np.zeros(shape, np.float32) + np.float32(0.2)  # uniform paper takes the short cut
    flat[h // 3:h // 2, w // 3:w // 2] = 0.9
    ref = _ref_block_background(flat)
    np.testing.assert_allclose(background.flatten(flat), np.clip((flat - ref) / (1 - ref), 0, None),
                               atol=1e-6)


def test_erase_rules_matches_reference_and_skips_clean_images():
    rng = np.random.default_rng(3)
    flat = (rng.random((120, 160)) * 0.05).astype(np.float32)
    flat[30:33, :] += 0.5                   # a ruled row
    flat[:, 100] += 0.4                     # a ruled column
    flat[40:90, 60:64] = 0.9                # a stroke crossing neither end
    t = 0.2
    np.testing.assert_allclose(rules.erase_rules(flat, t), _ref_erase_rules(flat, t), atol=1e-7)
    clean = flat.copy()
    clean[30:33, :] = 0.01
    clean[:, 100] = 0.01
    assert rules.erase_rules(clean, t) is clean
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
    runs, in_digit = selection.digit_runs(mask, weight)
    assert runs.n == n
    np.testing.assert_array_equal(components.paint(runs, in_digit) > 0,
                                  selection.select_digit(labels, n, weight))
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


# --- Serving fast paths: each one against the general code it short-cuts. ---------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from digit_classifier.preprocessing import loading  # noqa: E402

# Values on the 8-bit grid, Otsu bin edges, and the clip limits: where ties would show.
_TIES = st.sampled_from([0.0, 1.0, 0.25, 0.5, 64 / 255, 128 / 256, 1 / 256, 255 / 256])
_VALUES = st.lists(st.one_of(_TIES, st.floats(-0.25, 1.25, width=32)), min_size=1, max_size=3000)


@settings(max_examples=150, deadline=None)
@given(_VALUES)
def test_sorted_threshold_equals_partition_threshold(values):
    x = np.array(values, np.float32)
    fast = threshold.ink_threshold(x)
    clipped = np.clip(x, 0, 1)
    assert stats.otsu_sorted(np.sort(clipped)) == stats.otsu_threshold(clipped)
    general = _general(threshold.ink_threshold, x)
    assert fast == general


def _general(fn, *args):
    """Call ``fn`` with the size limits of the fast paths set so that none applies
    (hypothesis tests cannot take the function-scoped ``monkeypatch``)."""
    saved = threshold.SORT_LIMIT, components.SMALL_RUNS
    threshold.SORT_LIMIT, components.SMALL_RUNS = 0, -1
    try:
        return fn(*args)
    finally:
        threshold.SORT_LIMIT, components.SMALL_RUNS = saved


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.02, 0.6), st.integers(0, 2 ** 31))
def test_python_labelling_equals_vectorised_labelling(h, w, density, seed):
    mask = np.random.default_rng(seed).random((h, w)) < density
    fast = components.find_runs(mask)
    general = _general(components.find_runs, mask)
    assert fast.n == general.n
    np.testing.assert_array_equal(fast.label, general.label)
    assert fast.label.dtype == general.label.dtype


def _floor_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    out = []
    for shape in [(28, 28), (30, 41), (280, 280), (12, 100)]:
        x = np.zeros(shape, np.float32)
        h, w = shape
        x[h // 4:3 * h // 4, w // 3:w // 2] = 0.8          # a stroke covering whole tiles
        out.append(x)
        y = x + np.float32(0.1)                          # floor above zero
        y[: h // 2, : w // 2] = rng.random((h // 2, w // 2)) * 0.3  # no floor in a quadrant
        out.append(y)
        z = x.copy()
        z[h // 2:, :] = np.float32(0.05)                 # half the page shaded: not uniform
        out.append(z)
    return out


@pytest.mark.parametrize("index", range(12))
def test_uniform_floor_shortcut_equals_block_percentiles(index):
    x = _floor_cases()[index]
    ref = _ref_block_background(x)
    got = background._block_background(x)
    if isinstance(got, float):
        assert np.all(ref == np.float32(got))            # the short cut is only taken when exact
    else:
        np.testing.assert_allclose(got, ref, atol=1e-6)
    np.testing.assert_allclose(np.broadcast_to(got, x.shape), ref, atol=1e-6)


def test_uniform_floor_detects_clean_pages():
    page = np.zeros((28, 28), np.float32)
    page[5:23, 12:16] = 1.0
    assert isinstance(background._block_background(page), float)
    shaded = page + np.linspace(0, 0.2, 28, dtype=np.float32)[None, :]
    assert not isinstance(background._block_background(shaded), float)


@pytest.mark.parametrize("backdrop", ["white", "black", "median"])
def test_composite_shortcut_equals_alpha_blend(backdrop):
    rng = np.random.default_rng(2)
    h, w = 40, 50
    channels = np.round(rng.random((3, h, w)) * 255).astype(np.float32) / np.float32(255)
    alpha = np.zeros((h, w), np.float32)
    if backdrop == "median":
        alpha[:] = 1.0
        alpha[:5] = 0.0
    else:
        alpha[10:30, 20:24] = np.float32(200 / 255)
        channels[:] = 0.0 if backdrop == "white" else 1.0
    out = loading.composite(channels, alpha)
    opaque = alpha > 0.5
    if backdrop == "median":
        bd = np.median(channels[:, opaque], axis=1).astype(np.float32)
    else:
        bd = np.full(3, 1.0 if backdrop == "white" else 0.0, np.float32)
    np.testing.assert_array_equal(out, channels * alpha + bd[:, None, None] * (1.0 - alpha))


def test_identical_planes_skip_the_colour_test_without_changing_the_map(monkeypatch):
    grey = np.asarray(f.drawn_digit(5, (120, 90)), np.float32) / np.float32(255)
    channels = np.stack([grey] * 3)
    fast = ink_map.ink_map(channels)
    monkeypatch.setattr(ink_map, "_same_planes", lambda sub: False)
    np.testing.assert_array_equal(fast, ink_map.ink_map(channels))


@pytest.mark.parametrize("mode", ["L", "1", "RGB", "RGBA", "LA", "P"])
def test_to_planes_equals_float_division(mode):
    img = f.convert(f.drawn_digit(2, (37, 29), mode="RGB", ink=(200, 30, 10), paper=(250, 250, 240)), mode)
    channels, alpha = loading.to_planes(img)
    ref_mode = {"1": "L", "P": "RGB", "LA": "RGBA"}.get(mode, mode)
    ref = np.asarray(img.convert(ref_mode), np.float32) / 255.0
    ref = ref[None] if ref.ndim == 2 else ref.transpose(2, 0, 1)
    np.testing.assert_array_equal(channels, ref[:channels.shape[0]])
    assert channels.flags.c_contiguous and channels.dtype == np.float32
    assert alpha is None  # every test image here is fully opaque
    assert channels.shape[0] == (1 if mode in ("L", "1", "LA") else 3)  # red ink: colour


def test_png_orientation_is_still_honoured():
    upright = f.drawn_digit(7, (60, 40), mode="L")
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated = f.encode(upright.transpose(Image.Transpose.ROTATE_90), "PNG", exif=exif)
    img = loading.load_image(rotated)
    assert loading._may_have_orientation(Image.open(io.BytesIO(rotated)))
    assert img.size == upright.size
    np.testing.assert_array_equal(np.asarray(img), np.asarray(upright))
    plain = Image.open(io.BytesIO(f.encode(upright, "PNG")))
    plain.load()
    assert not loading._may_have_orientation(plain)


@pytest.mark.parametrize("shape", [(7, 20), (20, 20), (35, 13), (60, 44)])
def test_fit_box_equals_pillow_fromarray(shape):
    crop = np.random.default_rng(shape[0]).random(shape, dtype=np.float32)
    h, w = shape
    scale = 20 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    method = Image.Resampling.BOX if scale < 1 else Image.Resampling.LANCZOS
    ref = np.clip(np.asarray(Image.fromarray(crop, "F").resize(size, method), np.float32), 0, 1)
    np.testing.assert_array_equal(mnist_form.fit_box(crop), ref)


@pytest.mark.parametrize("name", ["mnist_png", "digit_png", "digit_png_inverted", "digit_jpeg",
                                  "rgba_canvas", "rectangular", "tiny_8px", "lined"])
def test_pipeline_equals_pipeline_without_fast_paths(name, monkeypatch):
    if name == "mnist_png":
        data = f.encode(Image.fromarray(f.mnist_digit(7)[0]), "PNG")
    elif name == "lined":
        page = np.asarray(f.drawn_digit(4, (200, 160)), np.float32)
        page[::23] = 150
        data = f.encode(Image.fromarray(page.astype(np.uint8)), "PNG")
    else:
        data = uploads.samples()[name].data
    config = P.PreprocessConfig(deskew=True)
    fast = preprocess_image(data, config)
    monkeypatch.setattr(threshold, "SORT_LIMIT", 0)
    monkeypatch.setattr(components, "SMALL_RUNS", -1)
    monkeypatch.setattr(background, "_uniform_floor", lambda *a: False)
    monkeypatch.setattr(ink_map, "_same_planes", lambda sub: False)
    monkeypatch.setattr(loading, "_may_have_orientation", lambda img: True)
    monkeypatch.setattr(loading, "_grey_bands", lambda arr: False)
    # Exact except the grey-as-colour short cut, which differs by float32 rounding
    # (the mean / luminance of three equal values is x to within an ulp).
    np.testing.assert_allclose(fast, preprocess_image(data, config), atol=1e-5)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_grey_content_in_colour_files_becomes_one_plane(mode):
    grey = f.drawn_digit(8, (50, 40), ink=30, paper=220)
    img = grey.convert(mode)
    channels, alpha = loading.to_planes(img)
    assert channels.shape == (1, 40, 50) and alpha is None
    np.testing.assert_array_equal(channels[0], np.asarray(grey, np.float32) / 255.0)
    tinted = np.asarray(img).copy()
    tinted[20, 25, 0] ^= 1  # one channel of one pixel differs: colour again
    assert loading.to_planes(Image.fromarray(tinted, mode))[0].shape == (3, 40, 50)


def test_grey_canvas_keeps_its_alpha_plane():
    img = Image.open(io.BytesIO(f.rgba_canvas_png_bytes(3, size=60)))
    channels, alpha = loading.to_planes(img)
    rgba = np.asarray(img, np.float32) / 255.0
    assert channels.shape == (1, 60, 60)
    np.testing.assert_array_equal(channels[0], rgba[:, :, 0])
    np.testing.assert_array_equal(alpha, rgba[:, :, 3])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sorted_threshold_handles_both_float_widths(dtype):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.random(600) * 0.1, rng.random(150) * 0.5 + 0.5]).astype(dtype)
    x[::37] = 0.3  # many pixels exactly at a candidate threshold level
    assert threshold.ink_threshold(x) == _general(threshold.ink_threshold, x)


@pytest.mark.parametrize("seed", range(5))
def test_window_filter_and_band_count_match_padded_references(seed):
    """``background._window`` clips the window at the edges instead of padding, and the uniform-floor
    test counts floor tiles with band matrices instead of a window minimum: same answers."""
    rng = np.random.default_rng(seed)
    for _ in range(200):
        gh, gw = (int(v) for v in rng.integers(1, 12, 2))
        grid = rng.random((gh, gw)).astype(np.float32)
        for size in (3, 5, 7):
            for op, reduce in ((np.minimum, np.min), (np.maximum, np.max)):
                np.testing.assert_array_equal(background._window(grid, size, op), _ref_filter(grid, size, reduce))
        floor = rng.random((gh, gw)) < rng.random() * 0.3
        by_window = not _ref_filter(~floor, background.BACKGROUND_WINDOW, np.min).any()
        counts = background._band(gh, background.BACKGROUND_WINDOW) @ floor.astype(np.float32) @ background._band(gw, background.BACKGROUND_WINDOW)
        assert by_window == bool(counts.min() > 0)


@pytest.mark.parametrize("size", [1, 3, 5, 9, 17, 23])
@pytest.mark.parametrize("seed", [0, 1])
def test_dilate_and_near_match_a_max_filter(size, seed):
    """``dilate`` (log-step windows) is a size x size max filter of the mask with False
    outside it; ``crops._near`` is the same over a box only."""
    from digit_classifier.preprocessing.crops import _near

    rng = np.random.default_rng(seed)
    mask = rng.random((37, 52)) > 0.96
    r = size // 2
    padded = np.pad(mask, r)
    reference = np.array([[padded[i:i + size, j:j + size].any() for j in range(52)] for i in range(37)])
    np.testing.assert_array_equal(mnist_form.dilate(mask, size), reference)
    box = (slice(5, 30), slice(0, 41))
    if r:
        np.testing.assert_array_equal(_near(mask, box, r), reference[box])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_close_gaps_is_a_grey_closing_with_paper_round_the_image(seed):
    """3x3 max filter then 3x3 min filter, the image padded with 2 px of zeros."""
    rng = np.random.default_rng(seed)
    image = (rng.random((20, 14)) > 0.5) * rng.random((20, 14)).astype(np.float32)
    padded = np.pad(image, 2)
    grown = _ref_filter(padded, 3, np.max)
    reference = _ref_filter(grown, 3, np.min)[2:-2, 2:-2]
    np.testing.assert_allclose(mnist_form.close_gaps(image), reference, atol=1e-7)


def test_a_stroke_a_quarter_of_the_picture_wide_is_ink_not_background(monkeypatch):
    """An 8x8 digit scaled up 32x (scikit-learn's digits as people export them): its
    strokes are 2 of 8 cells, wider than a 7-block opening (22% of the side) removed."""
    cells = np.zeros((8, 8), np.float32)
    cells[1:7, 3:5] = 1.0                                   # a "1", two cells wide
    x = np.kron(cells, np.ones((32, 32), np.float32))       # 256 x 256, ink bright
    assert background.flatten(x)[128, 128] > 0.9
    monkeypatch.setattr(background, "BACKGROUND_WINDOW", 7)
    assert background.flatten(x)[128, 128] < 0.1            # the old window: taken for shading
