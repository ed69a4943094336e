"""Fixtures for the engine tests: small synthetic, learnable data and a gradient-check helper."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import softmax_cross_entropy


@pytest.fixture
def toy_data():
    """X (64, 12) float32 in [0, 1] and y (64,) in 0..3, labelled by a random linear teacher."""
    rng = np.random.default_rng(1234)
    X = rng.random((64, 12), dtype=np.float32)
    teacher = rng.standard_normal((12, 4))
    y = np.argmax((X - 0.5) @ teacher, axis=1)
    return X, y


def mask_seeded_loss(model, X, y, seed, training, label_smoothing=0.0):
    """Loss of ``model`` on (X, y) with the dropout masks fixed by ``seed`` (a fresh rng each call)."""
    model.rng = np.random.default_rng(seed)
    logits = model.forward(X, training=training)
    return softmax_cross_entropy(logits, y, label_smoothing)


def numeric_grad(model, X, y, seed, training, label_smoothing, index, h=1e-6):
    """Central finite difference of the loss w.r.t. ``model.params[p][idx]`` for (p, idx) = index."""
    p, idx = index
    param = model.params[p]
    old = param[idx]
    param[idx] = old + h
    up = mask_seeded_loss(model, X, y, seed, training, label_smoothing)[0]
    param[idx] = old - h
    down = mask_seeded_loss(model, X, y, seed, training, label_smoothing)[0]
    param[idx] = old
    return (up - down) / (2 * h)
