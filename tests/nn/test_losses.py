"""Softmax cross-entropy against a direct reference, stability and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import log_softmax, softmax, softmax_cross_entropy


def reference_ce(logits, y, eps=0.0):
    """Direct float64 definition: -mean(sum(target * log(exp(z) / sum exp(z))))."""
    z = np.asarray(logits, np.float64)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    k = z.shape[1]
    target = np.full_like(p, eps / k)
    target[np.arange(len(y)), y] += 1 - eps
    return -np.mean(np.sum(target * np.log(p), axis=1)), (p - target) / len(y)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5])
def test_matches_reference(eps):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, (32, 10)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    loss, dlogits = softmax_cross_entropy(logits, y, eps)
    ref_loss, ref_grad = reference_ce(logits, y, eps)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(dlogits, ref_grad, rtol=1e-4, atol=1e-7)
    assert dlogits.dtype == np.float32


def test_stable_for_huge_logits():
    logits = np.array([[1000, -1000, 0], [-1000, 1000, 0], [1000, 1000, -1000]], np.float32)
    loss, dlogits = softmax_cross_entropy(logits, np.array([0, 0, 2]))
    assert np.isfinite(loss) and np.isfinite(dlogits).all()
    # Row 0 is right with certainty (0), row 1 wrong by 2000 nats, row 2 wrong by 2000 + log 2.
    assert loss == pytest.approx((0 + 2000 + 2000 + np.log(2)) / 3, rel=1e-5)
    np.testing.assert_allclose(dlogits[1], np.array([-1, 1, 0]) / 3, atol=1e-6)
    assert np.isfinite(log_softmax(logits)).all()
    np.testing.assert_allclose(softmax(logits).sum(axis=1), 1, rtol=1e-6)


def test_temperature_flattens_softmax():
    logits = np.array([[2.0, 0.0, -1.0]], np.float32)
    assert softmax(logits, temperature=3.0).max() < softmax(logits).max()
    np.testing.assert_allclose(softmax(logits, 2.0), softmax(logits / 2.0), rtol=1e-6)


@pytest.mark.parametrize("logits,labels,eps", [
    (np.zeros((3, 4)), np.array([0, 1, 4]), 0.0),        # label out of range
    (np.zeros((3, 4)), np.array([0, 1, -1]), 0.0),
    (np.zeros((3, 4)), np.array([0, 1]), 0.0),           # wrong length
    (np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]), 0.0),  # float labels
    (np.zeros(4), np.array([0]), 0.0),                   # 1-D logits
    (np.zeros((3, 4)), np.array([0, 1, 2]), 1.0),        # smoothing out of range
    (np.zeros((3, 4)), np.array([0, 1, 2]), -0.1),
])
def test_bad_inputs_raise_value_error(logits, labels, eps):
    with pytest.raises(ValueError):
        softmax_cross_entropy(logits, labels, eps)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("inf"), float("nan")])
def test_bad_temperature(temperature):
    with pytest.raises(ValueError, match="temperature"):
        softmax(np.zeros((1, 3)), temperature)
