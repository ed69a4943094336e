"""Fixtures for the model-file tests: a small valid model dict."""

from __future__ import annotations

import pytest

from tests.support.models import random_model_dict


@pytest.fixture
def model_dict():
    """A complete model dict (every required key) for a 784-16-10 net with random weights."""
    return random_model_dict(seed=0)
