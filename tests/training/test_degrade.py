"""Low resolution, blur, hollow strokes and printed-style ones: the augmentations for what users send."""

import numpy as np
import pytest

from digit_classifier.training.augment import AugmentConfig, augment_batch, hollow
from digit_classifier.training.degrade import (area_matrix, degrade, gaussian_blur_matrix,
                                               linear_matrix)
from digit_classifier.training.serifs import add_serifs


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _digit_one() -> np.ndarray:
    """(1, 28, 28) float32: a vertical 2-px stroke, rows 4-23."""
    x = np.zeros((1, 28, 28), np.float32)
    x[0, 4:24, 13:15] = 1.0
    return x


@pytest.mark.parametrize("make,args", [(area_matrix, (28, 11)), (linear_matrix, (11, 28)),
                                       (gaussian_blur_matrix, (28, 1.0))])
def test_resampling_matrices_keep_a_flat_image_flat(make, args):
    m = make(*args)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, rtol=1e-12)


def test_area_matrix_averages_blocks():
    m = area_matrix(4, 2)
    np.testing.assert_allclose(m @ np.array([1.0, 3.0, 5.0, 7.0]), [2.0, 6.0])


def test_degrade_loses_detail_and_keeps_full_strength(rng):
    x = np.repeat(_digit_one(), 64, axis=0)
    out = degrade(x, 0.5, 0.5, rng)
    assert out.shape == x.shape and out.dtype == np.float32
    changed = np.abs(out - x).max(axis=(1, 2)) > 1e-3
    assert changed.all()                                    # every image got one of the two
    np.testing.assert_allclose(out.max(axis=(1, 2)), 1.0, atol=1e-6)
    assert ((out > 0.05) & (x == 0)).any(axis=(1, 2)).all()  # ink spread to the neighbours
    assert x[0, 4:24, 13:15].min() == 1.0                    # the input is untouched


def test_degrade_off_draws_nothing():
    rng = np.random.default_rng(0)
    x = _digit_one()
    assert degrade(x, 0.0, 0.0, rng) is x
    assert rng.random() == np.random.default_rng(0).random()


def test_degrade_refuses_another_size(rng):
    with pytest.raises(ValueError, match="28"):
        degrade(np.zeros((2, 20, 20), np.float32), 0.5, 0.0, rng)


def test_hollow_clears_the_stroke_and_keeps_its_outline(rng):
    out = hollow(_digit_one(), 1.0, rng)[0]
    assert out[10, 13:15].max() == 0.0                       # the stroke's core is cleared
    assert out[10, 11] == 1.0 and out[10, 16] == 1.0         # ink beside it on both sides


def test_serifs_only_touch_ones_and_add_a_flag_to_the_left_of_the_top(rng):
    x = np.repeat(_digit_one(), 2, axis=0)
    out = add_serifs(x, np.array([1, 7]), 1.0, rng)
    np.testing.assert_array_equal(out[1], x[1])             # a 7 is left alone
    added = (out[0] > 0) & (x[0] == 0)
    ys, xs = np.nonzero(added[:14])                          # the flag, in the top half
    assert ys.size > 0 and xs.max() <= 15 and xs.min() < 13  # it runs left of the stroke


def test_augment_batch_needs_labels_for_serifs(rng):
    config = AugmentConfig(serif_prob=0.5)
    with pytest.raises(ValueError, match="label"):
        augment_batch(_digit_one(), config, rng)
    out = augment_batch(_digit_one(), config, rng, labels=np.array([1]))
    assert out.shape == (1, 28, 28)


@pytest.mark.parametrize("field", ["lowres_prob", "blur_prob", "hollow_prob", "serif_prob"])
def test_new_fields_are_validated_and_serialised(field):
    with pytest.raises(ValueError):
        AugmentConfig(**{field: 1.5})
    config = AugmentConfig(**{field: 0.25})
    assert not config.is_identity
    assert AugmentConfig.from_dict(config.to_dict()) == config
