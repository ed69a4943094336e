"""Session fixtures shared by every test folder: real MNIST and a real quick-profile model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digit_classifier.config import default_data_dir
from tests.support.models import save_shared_model, train_quick_model


def pytest_configure(config):
    config.addinivalue_line("markers", "root: needs root (installs packages, writes /etc); CI runs as root")
    config.addinivalue_line("markers", "slow: takes more than a few seconds (real training, Apache, browser)")


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The data directory holding the four verified MNIST files, fetched if missing."""
    from digit_classifier.mnist import fetch_mnist

    data_dir = default_data_dir()
    fetch_mnist(data_dir)  # verifies checksums; no network when the files are already valid
    return data_dir


@pytest.fixture(scope="session")
def quick_model_dict(mnist_dir):
    """A model dict trained with the ``quick`` profile on the real MNIST (trained once per session)."""
    return train_quick_model(mnist_dir)


@pytest.fixture(scope="session")
def quick_model_path(quick_model_dict) -> Path:
    """The quick model saved to a file that the Apache user (www-data) can read too,
    in a 0755 folder of its own, removed at the end of the session."""
    path = save_shared_model(quick_model_dict)
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)
