"""Optimiser updates against their textbook formulas; weight decay spares biases."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import SGD, Adam, make_optimizer


def _params_and_grads(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)]
    grads = [[rng.standard_normal(p.shape).astype(np.float32) for p in params] for _ in range(4)]
    return params, grads


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_matches_formula(nesterov):
    params, grads = _params_and_grads()
    ref = [p.astype(np.float64) for p in params]
    vel = [np.zeros_like(r) for r in ref]
    opt = SGD(params, momentum=0.9, nesterov=nesterov, weight_decay=0.01)
    for g_step in grads:
        opt.step(g_step, 0.1)
        for i, g in enumerate(g_step):
            g = g + (0.01 * ref[i] if ref[i].ndim == 2 else 0)
            vel[i] = 0.9 * vel[i] + g
            ref[i] -= 0.1 * (g + 0.9 * vel[i] if nesterov else vel[i])
    for p, r in zip(params, ref):
        np.testing.assert_allclose(p, r, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_matches_formula(decoupled):
    params, grads = _params_and_grads(1)
    ref = [p.astype(np.float64) for p in params]
    m = [np.zeros_like(r) for r in ref]
    v = [np.zeros_like(r) for r in ref]
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.1
    opt = Adam(params, betas=(b1, b2), eps=eps, weight_decay=wd, decoupled=decoupled)
    for t, g_step in enumerate(grads, start=1):
        opt.step(g_step, lr)
        for i, g in enumerate(g_step):
            decays = ref[i].ndim == 2
            if decays and decoupled:
                ref[i] -= lr * wd * ref[i]
            elif decays:
                g = g + wd * ref[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            ref[i] -= lr * m_hat / (np.sqrt(v_hat) + eps)
    for p, r in zip(params, ref):
        np.testing.assert_allclose(p, r, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sgd", "nesterov", "adam", "adamw"])
def test_weight_decay_shrinks_weights_not_biases(name):
    params = [np.ones((3, 2), np.float32), np.ones(2, np.float32)]
    zero = [np.zeros_like(p) for p in params]
    opt = make_optimizer(name, params, weight_decay=0.5)
    for _ in range(3):
        opt.step(zero, 0.1)
    assert (params[0] < 1).all()
    assert (params[1] == 1).all()


def test_step_checks_its_inputs():
    params, grads = _params_and_grads()
    opt = SGD(params)
    with pytest.raises(ValueError, match="gradients"):
        opt.step(grads[0][:1], 0.1)
    with pytest.raises(ValueError, match="shape"):
        opt.step([grads[0][1], grads[0][0]], 0.1)
    with pytest.raises(ValueError, match="learning rate"):
        opt.step(grads[0], float("nan"))


@pytest.mark.parametrize("make", [
    lambda p: SGD(p, momentum=1.0),
    lambda p: SGD(p, momentum=-0.1),
    lambda p: SGD(p, momentum=0.0, nesterov=True),
    lambda p: SGD(p, weight_decay=-1),
    lambda p: Adam(p, betas=(0.9, 1.0)),
    lambda p: Adam(p, eps=0.0),
    lambda p: make_optimizer("rmsprop", p),
    lambda p: SGD([]),
    lambda p: SGD([np.zeros(3, np.int64)]),
])
def test_bad_hyperparameters_raise(make):
    with pytest.raises(ValueError):
        make([np.zeros((2, 2), np.float32)])

