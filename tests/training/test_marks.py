"""Marker and dry-brush strokes and the ink's contrast: the augmentations for other tools' marks."""

import numpy as np
import pytest

from digit_classifier.training.augment import AugmentConfig, augment_batch
from digit_classifier.training.marks import (GAMMA_RANGE, STRIPE_DUTY, dry_brush, ink_gamma,
                                             max3, stripes)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def _strokes(n: int) -> np.ndarray:
    """(n, 28, 28) float32: a 2-px vertical stroke with a soft edge, rows 4-23."""
    x = np.zeros((n, 28, 28), np.float32)
    x[:, 4:24, 13:15] = 1.0
    x[:, 4:24, 12] = x[:, 4:24, 15] = 0.4
    return x


def test_max3_matches_a_plain_maximum_filter(rng):
    x = rng.random((3, 9, 7)).astype(np.float32)
    p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    want = np.max([p[:, dy:dy + 9, dx:dx + 7] for dy in range(3) for dx in range(3)], axis=0)
    np.testing.assert_array_equal(max3(x), want)


def test_stripes_keep_their_duty_share_and_run_across_the_frame(rng):
    masks = stripes(200, 28, rng)
    assert masks.shape == (200, 28, 28) and set(np.unique(masks)) <= {0.0, 1.0}
    kept = masks.mean(axis=(1, 2))
    assert STRIPE_DUTY[0] - 0.1 < kept.min() and kept.max() < STRIPE_DUTY[1] + 0.1
    # every mask has paper between hairs somewhere on each of its rows or columns
    assert ((masks == 0).any(axis=2).all(axis=1) | (masks == 0).any(axis=1).all(axis=1)).all()


def test_dry_brush_widens_or_cuts_and_leaves_the_rest_alone(rng):
    x = _strokes(400)
    out = dry_brush(x, 0.5, rng)
    assert out.shape == x.shape and out.dtype == np.float32 and out.max() <= 1.0
    np.testing.assert_array_equal(x, _strokes(400))             # input untouched
    changed = np.abs(out - x).max(axis=(1, 2)) > 0
    assert 0.4 < changed.mean() < 0.6
    ink_out = (out > 0.5).sum(axis=(1, 2))
    wider = ink_out > (x[0] > 0.5).sum()
    cut = (out[:, 4:24, 13:15] < 0.5).any(axis=(1, 2))
    assert wider.sum() > 50 and cut.sum() > 50                  # both kinds are drawn
    assert not (out[~changed] != x[~changed]).any()
    assert (out[:, :2] == 0).all()                              # ink only near the stroke


def test_dry_brush_with_no_share_returns_the_batch(rng):
    x = _strokes(8)
    assert dry_brush(x, 0.0, rng) is x


def test_ink_gamma_keeps_order_ends_and_range(rng):
    x = np.tile(np.linspace(0, 1, 28, dtype=np.float32), (500, 28, 1))
    out = ink_gamma(x, 1.0, rng)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, :, 0], 0.0)
    np.testing.assert_allclose(out[:, :, -1], 1.0, rtol=1e-6)
    assert (np.diff(out, axis=2) >= 0).all()                     # the ramp keeps its order
    mid = out[:, 0, 14]                                           # x = 14/27
    lo, hi = (14 / 27) ** GAMMA_RANGE[1], (14 / 27) ** GAMMA_RANGE[0]
    assert lo - 1e-6 <= mid.min() and mid.max() <= hi + 1e-6
    assert (mid < 14 / 27 - 0.1).any() and (mid > 14 / 27 + 0.1).any()   # harder and softer


@pytest.mark.parametrize("field", ["brush_prob", "gamma_prob"])
def test_augment_batch_draws_the_marks(field, rng):
    config = AugmentConfig(**{field: 1.0})
    assert not config.is_identity
    assert AugmentConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError):
        AugmentConfig(**{field: 1.5})
    x = _strokes(64)
    out = augment_batch(x, config, rng)
    changed = np.abs(out - x).max(axis=(1, 2)) > 0
    assert changed.mean() > 0.9        # stripes parallel to the stroke may miss it, rarely
