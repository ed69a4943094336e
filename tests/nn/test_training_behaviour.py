"""The engine learns: loss falls with each optimiser, a tiny set is memorised, runs are reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import MLP, SGD, Adam, ExponentialMovingAverage, make_optimizer, softmax_cross_entropy


def train(model, opt, X, y, steps, lr, batch=16, label_smoothing=0.0):
    """Run ``steps`` mini-batch steps cycling through (X, y); return the full-batch losses before/after."""
    before = softmax_cross_entropy(model.predict_logits(X), y)[0]
    for step in range(steps):
        s = (step * batch) % len(X)
        logits = model.forward(X[s:s + batch], training=True)
        _, dlogits = softmax_cross_entropy(logits, y[s:s + batch], label_smoothing)
        model.backward(dlogits)
        opt.step(model.grads, lr)
    return before, softmax_cross_entropy(model.predict_logits(X), y)[0]


@pytest.mark.parametrize("name,lr", [("sgd", 0.1), ("nesterov", 0.1), ("adam", 0.01), ("adamw", 0.01)])
def test_loss_decreases(toy_data, name, lr):
    X, y = toy_data
    model = MLP([12, 32, 4], dropout=0.1, rng=np.random.default_rng(0))
    opt = make_optimizer(name, model.params, weight_decay=1e-4)
    before, after = train(model, opt, X, y, steps=150, lr=lr)
    assert after < 0.5 * before


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_tiny_net_memorises_tiny_set(activation):
    rng = np.random.default_rng(5)
    X = rng.random((32, 20), dtype=np.float32)
    y = rng.integers(0, 10, 32)                       # random labels: only memorising fits them
    model = MLP([20, 64, 10], activation=activation, rng=rng)
    opt = Adam(model.params)
    train(model, opt, X, y, steps=400, lr=0.01, batch=32)
    assert (model.predict(X) == y).all()


def _train_run(seed, toy_data):
    X, y = toy_data
    model = MLP([12, 16, 16, 4], dropout=0.2, input_dropout=0.1, rng=np.random.default_rng(seed))
    train(model, SGD(model.params, momentum=0.9), X, y, steps=30, lr=0.05)
    return model.params


def test_same_seed_gives_bit_identical_model(toy_data):
    a, b = _train_run(42, toy_data), _train_run(42, toy_data)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))


def test_different_seed_gives_different_model(toy_data):
    a, b = _train_run(42, toy_data), _train_run(43, toy_data)
    assert not np.array_equal(a[0], b[0])


def test_float32_end_to_end(toy_data):
    X, y = toy_data
    model = MLP([12, 16, 16, 4], dropout=0.2, input_dropout=0.1, rng=np.random.default_rng(0))
    for opt in (SGD(model.params, weight_decay=1e-3), Adam(model.params, weight_decay=1e-3)):
        logits = model.forward(X.astype(np.float64), training=True)   # float64 input is cast down
        assert logits.dtype == np.float32
        loss, dlogits = softmax_cross_entropy(logits, y, 0.1)
        assert dlogits.dtype == np.float32
        model.backward(dlogits)
        opt.step(model.grads, 0.01)
    assert all(p.dtype == np.float32 for p in model.params + model.grads)
    buffers = [a for group in vars(model._buffers.get(len(X))).values()
               for a in (group if isinstance(group, list) else [group]) if a is not None]
    assert buffers and all(a.dtype in (np.float32, np.bool_) for a in buffers)
    assert model.predict_proba(X).dtype == np.float32
    assert model.predict_logits(X).dtype == np.float32


def test_ema_tracks_parameters(toy_data):
    X, y = toy_data
    model = MLP([12, 8, 4], rng=np.random.default_rng(0))
    ema = ExponentialMovingAverage(model.params, decay=0.9)
    start = model.copy_params()
    opt = SGD(model.params)
    for _ in range(20):
        train(model, opt, X, y, steps=1, lr=0.1)
        ema.update(model.params)
    # The average lies strictly between the start and the current weights.
    moved = np.abs(model.params[0] - start[0]).sum()
    assert 0 < np.abs(ema.average[0] - start[0]).sum() < moved
    model.load_params(ema.average)
    assert np.array_equal(model.params[0], ema.average[0])
