"""Session fixtures shared by every test folder: real MNIST and a real quick-profile model."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from digit_classifier.config import default_data_dir


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
    from digit_classifier.mnist import load_mnist
    from digit_classifier.training import train_and_package
    from digit_classifier.training import PROFILES

    return train_and_package(PROFILES["quick"], load_mnist(mnist_dir), profile="quick")


@pytest.fixture(scope="session")
def quick_model_path(quick_model_dict) -> Path:
    """The quick model saved to a file that the Apache user (www-data) can read too.

    pytest's own temporary directories are 0700, so the file lives in a 0755 directory of
    its own, removed at the end of the session.
    """
    from digit_classifier.model_io import save_model

    folder = Path(tempfile.mkdtemp(prefix="digit-classifier-model-"))
    folder.chmod(0o755)
    path = folder / "model.pkl"
    save_model(path, quick_model_dict)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    yield path
    shutil.rmtree(folder, ignore_errors=True)
