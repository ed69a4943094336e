"""Fixtures for the web tests: apps (with/without model, with/without CSRF), clients, images."""

from pathlib import Path

import pytest

from tests.support import uploads
from tests.support.apps import build_app, make_config
from tests.support import images
from tests.support.images import mnist_digit_bytes
from tests.support.servers import serve_in_thread


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


@pytest.fixture(scope="session")
def model_store(tmp_path_factory, quick_model_dict) -> Path:
    """A store: digits/1 and digits/2 (the quick model, builds named v1-build and v2-build),
    digits/3 corrupt, digits/4 without a model file, digits/latest (not a version), other/7."""
    from digit_classifier.model_io import save_model

    root = tmp_path_factory.mktemp("store")
    for name, version in [("digits", 1), ("digits", 2), ("other", 7)]:
        (root / name / str(version)).mkdir(parents=True)
        save_model(root / name / str(version) / "model.pkl", {**quick_model_dict, "version": f"v{version}-build"})
    (root / "digits" / "3").mkdir()
    (root / "digits" / "3" / "model.pkl").write_bytes(b"not a pickle")
    (root / "digits" / "4").mkdir()
    (root / "digits" / "latest").mkdir()
    return root


@pytest.fixture(scope="session")
def store_app(model_store, model_path):
    """The app serving the model store (default version 2)."""
    return build_app(make_config(model_path, MODEL_STORE=str(model_store)))


@pytest.fixture()
def store_client(store_app):
    return store_app.test_client()


@pytest.fixture(scope="session")
def live_url(store_app):
    """The model-store app served by a real server (``serve_in_thread``): its base URL."""
    with serve_in_thread(store_app) as url:
        yield url


@pytest.fixture(scope="session")
def digit_pngs(mnist_test_digits) -> list[bytes]:
    """The first 12 MNIST test digits as dark-on-light PNG files."""
    pixels, _ = mnist_test_digits
    return [images.mnist_digit_bytes(p, "PNG") for p in pixels[:12]]


@pytest.fixture(scope="session")
def native_digits(live_url, digit_pngs) -> list[int]:
    """What POST /api/v1/predict answers for each of ``digit_pngs`` (the reference for the protocols)."""
    import requests

    return [requests.post(f"{live_url}/api/v1/predict", data=png, headers={"Content-Type": "image/png"},
                          timeout=30).json()["digit"] for png in digit_pngs]


@pytest.fixture(scope="session")
def mnist_rows(mnist_test_digits, quick_model_dict):
    """(rows (12, 784) float32 in MNIST form as the quick model expects them, labels (12,))."""
    from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist

    pixels, labels = mnist_test_digits
    config = PreprocessConfig.from_dict(quick_model_dict.get("preprocessing") or {})
    return prepare_mnist(pixels[:12], config), labels[:12]
