"""The one-image serving shortcuts agree with the general (batch) code they bypass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from digit_classifier.preprocessing import crops, ink_map, picture, threshold
from digit_classifier.preprocessing.config import PreprocessConfig
from digit_classifier.preprocessing import components, mnist_form, selection
from tests.support import images as f


def _edge_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    blank = np.zeros((28, 28), np.float32)
    full = np.ones((28, 28), np.float32)
    dot = blank.copy(); dot[3, 7] = 1.0
    bar = blank.copy(); bar[10] = 1.0              # mu02 == 0: no shear
    frame = blank.copy(); frame[:, 0] = 1.0; frame[27] = 0.5  # shear pushes ink off the edge
    slanted = blank.copy()
    for r in range(4, 24):
        slanted[r, 4 + r // 2:8 + r // 2] = 1.0
    return [blank, full, dot, bar, frame, slanted, rng.random((28, 28), dtype=np.float32)]


def test_deskew_one_matches_batch_deskew_on_real_digits(mnist_test):
    images = mnist_test[0][:500].astype(np.float32) / 255.0
    batch = mnist_form.deskew(images)
    one = np.stack([mnist_form.deskew_one(x) for x in images])
    np.testing.assert_allclose(one, batch, atol=1e-5)
    assert np.abs(one - images).max() > 0.1  # the shear really moved ink


@pytest.mark.parametrize("index", range(7))
def test_deskew_one_matches_batch_deskew_on_edge_cases(index):
    x = _edge_cases()[index]
    np.testing.assert_allclose(mnist_form.deskew_one(x), mnist_form.deskew(x[None])[0], atol=1e-5)
    assert mnist_form.deskew_one(x).dtype == np.float32


def test_prepare_mnist_single_image_equals_its_row_in_a_batch(mnist_test):
    images = mnist_test[0][:64]
    batch = mnist_form.prepare_mnist(images, deskew_images=True)
    for i in (0, 1, 17, 63):
        single = mnist_form.prepare_mnist(images[i:i + 1], deskew_images=True)
        assert single.shape == (1, 784) and single.dtype == np.float32
        assert 0.0 <= single.min() and single.max() <= 1.0
        np.testing.assert_allclose(single[0], batch[i], atol=1e-5)


def _general_choice(mask: np.ndarray, weight: np.ndarray) -> np.ndarray:
    runs = components.find_runs(mask)
    return runs, selection.choose(components.run_stats(runs, weight), mask.shape)[runs.label]


@pytest.mark.parametrize("shape,cells", [
    ((28, 28), [(slice(5, 20), slice(12, 15))]),                      # one stroke
    ((28, 28), [(slice(5, 6), slice(0, 28))]),                        # one edge-to-edge "rule"
    ((60, 60), [(slice(10, 11), slice(0, 60))]),                      # a lone rule on a big page
    ((28, 28), [(slice(9, 10), slice(9, 10))]),                       # a single pixel: a speck
    ((28, 28), [(slice(3, 9), slice(3, 9)), (slice(15, 25), slice(15, 18))]),  # two blobs
])
def test_single_blob_shortcut_agrees_with_choose(shape, cells):
    mask = np.zeros(shape, bool)
    for cell in cells:
        mask[cell] = True
    weight = mask.astype(np.float32)
    runs, fast = selection.digit_runs(mask, weight)
    _, general = _general_choice(mask, weight)
    np.testing.assert_array_equal(fast, general)
    assert fast.dtype == bool and fast.shape == runs.row.shape


@pytest.mark.parametrize("data", [f.digit_png_bytes(3), f.digit_jpeg_bytes(4), f.rgba_canvas_png_bytes(2),
                                  f.rectangular_png_bytes(0)])
def test_digit_mask_equals_the_painted_chosen_runs(data):
    config = PreprocessConfig()
    flat = ink_map.from_picture(picture.open_picture(data, config), config).flat
    digit = crops.digit_crop(flat, config).digit
    _, mask, runs, in_digit = crops._digit_components(*threshold.soft_ink(flat, threshold.ink_threshold(flat)))
    assert digit.dtype == bool and digit.shape == flat.shape and digit.any()
    np.testing.assert_array_equal(digit, components.paint(runs, in_digit) > 0)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2 ** 31), st.floats(0.01, 0.9), st.floats(-3.0, 3.0))
def test_deskew_one_matches_batch_on_random_slants(seed, density, slope):
    """Strong slants shift rows by up to the clamp (29 px): every read past the image
    edge must land in the zero frame, as the batch version's clipped indices do."""
    rng = np.random.default_rng(seed)
    x = (rng.random((28, 28)) < density).astype(np.float32) * rng.random((28, 28), dtype=np.float32)
    rows = np.arange(28)
    cols = np.clip(np.round(14 + slope * (rows - 14)).astype(int), 0, 27)
    x[rows, cols] = 1.0  # a slanted stroke on top of the noise
    np.testing.assert_allclose(mnist_form.deskew_one(x), mnist_form.deskew(x[None])[0], atol=1e-5)
