"""Fixtures for the model-file tests: a small valid model dict and a scratch directory."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.model_io import FORMAT_VERSION


@pytest.fixture
def model_dict():
    """A complete model dict (every required key) for a 784-16-10 net with random weights."""
    rng = np.random.default_rng(0)
    sizes = [784, 16, 10]
    return {
        "format_version": FORMAT_VERSION,
        "name": "digit-mlp",
        "version": "test",
        "layer_sizes": sizes,
        "activation": "relu",
        "weights": [rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])],
        "biases": [rng.standard_normal(b).astype(np.float32) for b in sizes[1:]],
        "temperature": 1.25,
        "preprocessing": {"mode": "mnist"},
        "train_config": {"hidden": [16], "epochs": 1, "seed": 0},
        "metrics": {"test_accuracy": 0.5, "confusion_matrix": np.eye(10, dtype=np.int64).tolist(),
                    "history": [{"epoch": 1, "loss": 1.0}], "ece_before": np.float32(0.1)},
        "data_checksums": {"train-images": "0" * 64},
        "created_at": "2024-01-01T00:00:00Z",
        "library_versions": {"numpy": np.__version__},
    }
