"""Fixtures for the engine tests: small synthetic, learnable data."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def toy_data():
    """X (64, 12) float32 in [0, 1] and y (64,) in 0..3, labelled by a random linear teacher."""
    rng = np.random.default_rng(1234)
    X = rng.random((64, 12), dtype=np.float32)
    teacher = rng.standard_normal((12, 4))
    y = np.argmax((X - 0.5) @ teacher, axis=1)
    return X, y
