"""Small learnable MNIST-shaped data sets for fast training tests (no real MNIST needed)."""

from __future__ import annotations

import numpy as np

from digit_classifier.mnist import MnistData


def synthetic_mnist(n_train: int = 1200, n_test: int = 200, seed: int = 0) -> MnistData:
    """Ten noisy prototype images, one per class, as a (tiny) MnistData of uint8 28x28 images."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:28, 0:28]
    prototypes = np.zeros((10, 28, 28), np.float32)
    for c in range(10):
        cy, cx = 8 + 12 * (c // 5), 6 + 4 * (c % 5)
        prototypes[c] = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0)

    def draw(n):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = prototypes[labels] + 0.3 * rng.random((n, 28, 28), dtype=np.float32)
        return (np.clip(images, 0, 1) * 255).astype(np.uint8), labels

    train_images, train_labels = draw(n_train)
    test_images, test_labels = draw(n_test)
    return MnistData(train_images, train_labels, test_images, test_labels,
                     {"train-images": "0" * 64})
