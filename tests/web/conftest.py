"""Fixtures for the web tests: apps (with/without model, with/without CSRF), clients, images."""

from pathlib import Path

import pytest

from tests.support import uploads
from tests.support.apps import build_app, make_config
from tests.support.images import mnist_digit_bytes


@pytest.fixture(scope="session")
def model_path(quick_model_path) -> Path:
    """The shared real model file (quick profile on real MNIST)."""
    return quick_model_path


@pytest.fixture(scope="session")
def mnist_test_digits(mnist_dir):
    """(images (n, 28, 28) uint8, labels (n,)) of the first 200 real MNIST test digits."""
    from digit_classifier.mnist import load_mnist

    data = load_mnist(mnist_dir)
    return data.test_images[:200], data.test_labels[:200]


@pytest.fixture(scope="session")
def seven_png(mnist_test_digits) -> bytes:
    """MNIST test digit 0 (a 7) as dark-on-light PNG bytes."""
    pixels, labels = mnist_test_digits
    assert labels[0] == 7
    return mnist_digit_bytes(pixels[0])


@pytest.fixture(scope="session")
def app(model_path):
    """The app with the real model, CSRF off (shared: the app holds no per-request state)."""
    return build_app(make_config(model_path))


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def csrf_app(model_path):
    """The app with CSRF protection on, as in production."""
    return build_app(make_config(model_path, WTF_CSRF_ENABLED=True))


@pytest.fixture(scope="session")
def no_model_app(tmp_path_factory):
    """The app pointed at a model file that does not exist."""
    return build_app(make_config(tmp_path_factory.mktemp("nomodel") / "missing.pkl"))


@pytest.fixture()
def csrf_client(csrf_app):
    return csrf_app.test_client()


@pytest.fixture()
def no_model_client(no_model_app):
    return no_model_app.test_client()


@pytest.fixture(scope="session")
def digit_forms(mnist_test_digits) -> dict[str, bytes]:
    """The 7 (MNIST test digit 0) in every readable form: name -> bytes."""
    pixels, _ = mnist_test_digits
    return uploads.good_images(pixels[0])
