"""Tests of digit_classifier.training.calibration: temperature fitting, ECE, reliability bins."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import softmax
from digit_classifier.training.calibration import (expected_calibration_error, fit_temperature, nll,
                                                   reliability_bins)


def sample_labels(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One label per row drawn from that row's categorical distribution."""
    u = rng.random((len(probs), 1))
    return np.minimum((probs.cumsum(1) < u).sum(1), probs.shape[1] - 1)


def calibrated_set(n: int = 20000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(logits (n, 10), labels (n,)) where the labels really follow softmax(logits)."""
    rng = np.random.default_rng(seed)
    logits = 3.0 * rng.standard_normal((n, 10))
    return logits, sample_labels(softmax(logits), rng)


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_a_known_temperature(true_t):
    logits, labels = calibrated_set()
    # Logits scaled by T are calibrated again after dividing by T.
    fitted = fit_temperature(logits * true_t, labels)
    assert abs(fitted / true_t - 1) < 0.05


def test_fitted_temperature_lowers_nll_and_keeps_argmax():
    logits, labels = calibrated_set(seed=1)
    over = logits * 3
    t = fit_temperature(over, labels)
    assert nll(over, labels, t) < nll(over, labels) - 0.1
    assert np.array_equal(softmax(over, t).argmax(1), over.argmax(1))


def test_ece_near_zero_when_calibrated_and_larger_when_overconfident():
    logits, labels = calibrated_set(seed=2)
    calibrated = expected_calibration_error(softmax(logits), labels)
    overconfident = expected_calibration_error(softmax(logits * 3), labels)
    assert calibrated < 0.015
    assert overconfident > 0.05 > calibrated


def test_ece_of_a_perfect_confident_classifier_is_zero():
    labels = np.arange(100) % 10
    probs = np.eye(10)[labels]
    assert expected_calibration_error(probs, labels) == pytest.approx(0.0, abs=1e-12)


def test_reliability_bins_are_consistent():
    logits, labels = calibrated_set(n=5000, seed=3)
    probs = softmax(logits)
    bins = reliability_bins(probs, labels, n_bins=10)
    assert bins.count.sum() == 5000 and len(bins.edges) == 11
    used = bins.count > 0
    lo, hi = bins.edges[:-1][used], bins.edges[1:][used]
    assert ((bins.confidence[used] >= lo - 1e-12) & (bins.confidence[used] <= hi + 1e-12)).all()
    overall = (bins.accuracy[used] * bins.count[used]).sum() / 5000
    assert overall == pytest.approx((probs.argmax(1) == labels).mean())
    d = bins.to_dict()
    assert len(d["accuracy"]) == 10 and all(a is None or 0 <= a <= 1 for a in d["accuracy"])


@pytest.mark.parametrize("logits, labels", [
    (np.zeros((3, 10)), np.array([0, 1])),          # length mismatch
    (np.zeros((3, 10)), np.array([0, 1, 10])),      # label out of range
    (np.zeros(10), np.array([0])),                  # not 2-D
])
def test_bad_inputs_raise(logits, labels):
    with pytest.raises(ValueError):
        fit_temperature(logits, labels)
    with pytest.raises(ValueError):
        expected_calibration_error(logits, labels)
