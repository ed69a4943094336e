"""Finite-difference gradient checks for the MLP tests: a loss with fixed dropout masks and its numeric derivative."""

from __future__ import annotations

import numpy as np

from digit_classifier.nn import softmax_cross_entropy


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
