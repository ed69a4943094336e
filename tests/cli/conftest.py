"""Fixtures for the CLI and predictor tests: real MNIST test digits written as image files."""

from __future__ import annotations

import pytest

from tests.support.images import mnist_digit_bytes


@pytest.fixture(scope="session")
def mnist_test_set(mnist_dir):
    """The real MNIST test set as an ``MnistData``."""
    from digit_classifier.mnist import load_mnist

    return load_mnist(mnist_dir)


@pytest.fixture()
def digit_folder(tmp_path, mnist_test_set):
    """A folder of 20 real MNIST test digits as PNGs (half of them dark on light) in a subfolder.

    Returns ``(folder, labels)`` where ``labels`` maps file path to the true digit.
    """
    folder = tmp_path / "digits"
    (folder / "nested").mkdir(parents=True)
    labels = {}
    for i in range(20):
        path = folder / ("nested" if i % 2 else "") / f"digit_{i:02d}.png"
        path.write_bytes(mnist_digit_bytes(mnist_test_set.test_images[i], scale=4,
                                           dark_on_light=i % 3 == 0))
        labels[path] = int(mnist_test_set.test_labels[i])
    (folder / "notes.txt").write_text("not an image, and not picked up when recursing")
    return folder, labels
