"""Model builders for the tests: the quick-profile model on real MNIST, a shared copy on disk, a random one."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import numpy as np


def train_quick_model(mnist_dir: Path) -> dict:
    """A model dict trained with the ``quick`` profile on the real MNIST in ``mnist_dir``.

    Takes ~15 s on one core; the session fixtures call it once and share the result.
    """
    from digit_classifier.mnist import load_mnist
    from digit_classifier.training import PROFILES, train_and_package

    return train_and_package(PROFILES["quick"], load_mnist(mnist_dir), profile="quick")


def save_shared_model(model_dict: dict) -> Path:
    """Save ``model_dict`` as ``model.pkl`` (0644) in a new 0755 temporary folder -> its path.

    pytest's own temporary directories are 0700, so the Apache user (www-data) could not
    read a model saved there. The caller removes ``path.parent`` when done.
    """
    from digit_classifier.model_io import save_model

    folder = Path(tempfile.mkdtemp(prefix="digit-classifier-model-"))
    folder.chmod(0o755)
    path = folder / "model.pkl"
    save_model(path, model_dict)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    return path


def random_model_dict(seed: int = 0) -> dict:
    """A complete model dict (every required key) for a 784-16-10 net with random
    float32 weights drawn from ``np.random.default_rng(seed)``; metrics are placeholders."""
    from digit_classifier.model_io import FORMAT_VERSION

    rng = np.random.default_rng(seed)
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
