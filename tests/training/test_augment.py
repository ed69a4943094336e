"""Tests of digit_classifier.training.augment: shapes, determinism, identity, geometry, elastic fields."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.training.augment import (AugmentConfig, _inverse_affine, augment_batch, bilinear_sample,
                                      elastic_displacement)

FULL = AugmentConfig(max_shift=2, max_rotation=12, max_scale=0.12, max_shear=0.2,
                     elastic_alpha=30, elastic_sigma=5, thickness_prob=0.2, invert_prob=0.1)


def centre_of_mass(images: np.ndarray) -> np.ndarray:
    """(n, 2) [row, col] intensity centroids of (n, 28, 28) images."""
    idx = np.arange(28, dtype=np.float64)
    mass = images.sum(axis=(1, 2))
    return np.stack([(images.sum(2) * idx).sum(1) / mass, (images.sum(1) * idx).sum(1) / mass], 1)


def test_shape_dtype_range_and_input_untouched(digit_images):
    before = digit_images.copy()
    out = augment_batch(digit_images, FULL, np.random.default_rng(0))
    assert out.shape == digit_images.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert np.array_equal(digit_images, before)
    assert not np.allclose(out, digit_images)


def test_uint8_input_is_scaled_to_unit_range(digit_images):
    as_uint8 = np.round(digit_images * 255).astype(np.uint8)
    out = augment_batch(as_uint8, AugmentConfig(), np.random.default_rng(0))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, as_uint8 / 255.0, atol=1e-6)


def test_same_seed_same_result_other_seed_differs(digit_images):
    a = augment_batch(digit_images, FULL, np.random.default_rng(7))
    b = augment_batch(digit_images, FULL, np.random.default_rng(7))
    c = augment_batch(digit_images, FULL, np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_zero_strength_is_identity(digit_images):
    out = augment_batch(digit_images, AugmentConfig(), np.random.default_rng(0))
    np.testing.assert_array_equal(out, digit_images)


def test_negligible_distortion_goes_through_the_grid_and_is_identity(digit_images):
    # A tiny rotation forces the full sampling-grid + bilinear path.
    tiny = AugmentConfig(max_rotation=1e-6, elastic_alpha=1e-6)
    out = augment_batch(digit_images, tiny, np.random.default_rng(0))
    np.testing.assert_allclose(out, digit_images, atol=1e-4)


def test_bilinear_integer_offset_is_a_shift(digit_images):
    n = len(digit_images)
    ys, xs = np.meshgrid(np.arange(28.0), np.arange(28.0), indexing="ij")
    out = bilinear_sample(digit_images, np.broadcast_to(ys - 2, (n, 28, 28)),
                          np.broadcast_to(xs + 1, (n, 28, 28)))
    expected = np.zeros_like(digit_images)
    expected[:, 2:, :-1] = digit_images[:, :-2, 1:]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_shift_moves_centre_of_mass_by_the_drawn_shift(digit_images):
    config = AugmentConfig(max_shift=3.0)
    # augment_batch draws the affine parameters first: replay them with the same seed.
    _, shift = _inverse_affine(len(digit_images), config, np.random.default_rng(3))
    out = augment_batch(digit_images, config, np.random.default_rng(3))
    moved = centre_of_mass(out) - centre_of_mass(digit_images)
    # Only digits with a 4-pixel empty margin keep all their ink after a 3-pixel shift.
    ink_rows, ink_cols = digit_images.any(2), digit_images.any(1)
    margin = (~ink_rows[:, :4].any(1) & ~ink_rows[:, -4:].any(1)
              & ~ink_cols[:, :4].any(1) & ~ink_cols[:, -4:].any(1))
    assert margin.sum() > 100
    np.testing.assert_allclose(moved[margin], shift[margin], atol=0.05)
    assert np.abs(shift).max() > 2.0


def test_elastic_field_magnitude_matches_alpha_and_sigma():
    alpha, sigma = 30.0, 5.0
    field = elastic_displacement(2000, 28, alpha, sigma, np.random.default_rng(0))
    assert field.shape == (2000, 2, 28, 28) and field.dtype == np.float32
    interior = field[:, :, 10:18, 10:18]
    expected_std = alpha / (np.sqrt(12 * np.pi) * sigma)
    assert abs(interior.std() / expected_std - 1) < 0.15
    doubled = elastic_displacement(2000, 28, 2 * alpha, sigma, np.random.default_rng(0))
    np.testing.assert_allclose(doubled, 2 * field, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sigma", [1.5, 4.0, 6.0])
def test_elastic_field_smoothness_follows_sigma(sigma):
    field = elastic_displacement(3000, 28, 10.0, sigma, np.random.default_rng(1))
    lag = max(1, int(round(sigma)))
    a, b = field[:, :, 14, 8:20 - lag], field[:, :, 14, 8 + lag:20]
    corr = np.corrcoef(a.ravel(), b.ravel())[0, 1]
    # Gaussian-smoothed white noise: correlation at lag d is exp(-d^2 / (4 sigma^2)).
    assert abs(corr - np.exp(-lag ** 2 / (4 * sigma ** 2))) < 0.08


def test_full_inversion_flips_polarity(digit_images):
    out = augment_batch(digit_images, AugmentConfig(invert_prob=1.0), np.random.default_rng(0))
    np.testing.assert_allclose(out, 1.0 - digit_images, atol=1e-6)


def test_thickness_change_only_grows_or_shrinks_each_image(digit_images):
    out = augment_batch(digit_images, AugmentConfig(thickness_prob=1.0), np.random.default_rng(0))
    grown = (out >= digit_images - 1e-7).all(axis=(1, 2)) & (out.sum((1, 2)) > digit_images.sum((1, 2)))
    shrunk = (out <= digit_images + 1e-7).all(axis=(1, 2)) & (out.sum((1, 2)) < digit_images.sum((1, 2)))
    assert (grown ^ shrunk).all()
    assert 0.3 < grown.mean() < 0.7


def test_whole_batch_of_60000_is_fast_enough():
    images = np.random.default_rng(0).random((6000, 28, 28), dtype=np.float32)
    import time
    started = time.perf_counter()
    augment_batch(images, FULL, np.random.default_rng(0))
    # ~0.3 s idle on the 2-core build machine; generous for a loaded CI box.
    assert time.perf_counter() - started < 10.0


@pytest.mark.parametrize("kwargs", [{"max_shift": -1}, {"invert_prob": 1.5}, {"max_scale": 1.0},
                                    {"elastic_sigma": 0}, {"max_rotation": float("nan")}])
def test_bad_config_raises(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        AugmentConfig(**kwargs)


def test_bad_shape_raises():
    with pytest.raises(ValueError, match="shape"):
        augment_batch(np.zeros((28, 28), np.float32), FULL, np.random.default_rng(0))


def test_config_round_trip():
    assert AugmentConfig.from_dict(FULL.to_dict()) == FULL
    with pytest.raises(ValueError, match="bogus"):
        AugmentConfig.from_dict({"bogus": 1})
