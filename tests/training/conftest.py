"""Fixtures for the training tests: a small synthetic MNIST-like data set and the real MNIST."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.mnist import MnistData
from tests.support.datasets import synthetic_mnist


@pytest.fixture(scope="session")
def tiny_data() -> MnistData:
    """Ten noisy prototype images, one per class: 1200 training and 200 test images."""
    return synthetic_mnist()


@pytest.fixture(scope="session")
def digit_images(mnist_dir) -> np.ndarray:
    """The first 512 real MNIST training images, (512, 28, 28) float32 in [0, 1]."""
    from digit_classifier.mnist import load_mnist

    return load_mnist(mnist_dir).train_images[:512].astype(np.float32) / 255.0
