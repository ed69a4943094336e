"""Analytic gradients of the MLP and the loss against central finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import MLP, softmax_cross_entropy

from tests.support.gradients import mask_seeded_loss, numeric_grad


def _sample_indices(model, rng, per_param=12):
    """A few (param index, element index) pairs from every parameter array."""
    picks = []
    for p, param in enumerate(model.params):
        flat = rng.choice(param.size, size=min(per_param, param.size), replace=False)
        picks += [(p, np.unravel_index(i, param.shape)) for i in flat]
    return picks


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("dropout,input_dropout", [(0.0, 0.0), (0.3, 0.0), (0.25, 0.2)])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_backprop_matches_finite_differences(activation, dropout, input_dropout, label_smoothing):
    rng = np.random.default_rng(7)
    model = MLP([6, 9, 7, 4], activation=activation, dropout=dropout, input_dropout=input_dropout,
                rng=rng, dtype=np.float64)
    for b in model.biases:                      # non-zero biases exercise the bias gradient fully
        b[:] = rng.normal(0, 0.1, b.shape)
    X = rng.random((5, 6))
    y = rng.integers(0, 4, 5)
    training = dropout > 0 or input_dropout > 0
    _, dlogits = mask_seeded_loss(model, X, y, 99, training, label_smoothing)
    model.backward(dlogits)
    for index in _sample_indices(model, rng):
        num = numeric_grad(model, X, y, 99, training, label_smoothing, index)
        ana = model.grads[index[0]][index[1]]
        assert ana == pytest.approx(num, rel=1e-5, abs=1e-8), index


def test_dropout_actually_changes_the_gradient():
    """The dropout cases above are meaningful only if the masks really drop units."""
    rng = np.random.default_rng(3)
    model = MLP([6, 20, 3], dropout=0.5, rng=rng, dtype=np.float64)
    X, y = rng.random((8, 6)), rng.integers(0, 3, 8)
    model.backward(softmax_cross_entropy(model.forward(X, training=True), y)[1])
    with_dropout = model.grads[0].copy()
    model.backward(softmax_cross_entropy(model.forward(X, training=False), y)[1])
    assert not np.allclose(with_dropout, model.grads[0])
    assert (with_dropout == 0).all(axis=0).any()     # some hidden unit was dropped in every row


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_loss_gradient_matches_finite_differences(label_smoothing):
    rng = np.random.default_rng(11)
    logits = rng.normal(0, 3, (6, 5))
    y = rng.integers(0, 5, 6)
    _, dlogits = softmax_cross_entropy(logits, y, label_smoothing)
    h = 1e-6
    num = np.zeros_like(logits)
    for i in range(logits.shape[0]):
        for j in range(logits.shape[1]):
            up, down = logits.copy(), logits.copy()
            up[i, j] += h
            down[i, j] -= h
            num[i, j] = (softmax_cross_entropy(up, y, label_smoothing)[0]
                         - softmax_cross_entropy(down, y, label_smoothing)[0]) / (2 * h)
    np.testing.assert_allclose(dlogits, num, rtol=1e-5, atol=1e-9)
