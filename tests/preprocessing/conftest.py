"""Fixtures for the preprocessing tests: real MNIST test digits."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def mnist_test(mnist_dir) -> tuple[np.ndarray, np.ndarray]:
    """(images (10000, 28, 28) uint8, labels (10000,) uint8) of the real MNIST test set."""
    from digit_classifier.mnist import read_idx

    return (read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz"),
            read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz"))
