"""prepare_mnist, the shared final step, and its vectorised deskew."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.preprocessing.mnist_form import deskew
from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist


def _reference_deskew(img: np.ndarray) -> np.ndarray:
    """Plain per-pixel loop: shear rows by alpha = mu11 / mu02 about the centroid."""
    img = img.astype(np.float64)
    total = img.sum()
    rr, cc = np.mgrid[0:28, 0:28]
    rm, cm = (img * rr).sum() / total, (img * cc).sum() / total
    mu02 = (img * (rr - rm) ** 2).sum() / total
    mu11 = (img * (rr - rm) * (cc - cm)).sum() / total
    alpha = mu11 / mu02
    out = np.zeros_like(img)
    for r in range(28):
        for c in range(28):
            x = c + alpha * (r - rm)
            x0 = int(np.floor(x))
            t = x - x0
            left = img[r, x0] if 0 <= x0 < 28 else 0.0
            right = img[r, x0 + 1] if 0 <= x0 + 1 < 28 else 0.0
            out[r, c] = left * (1 - t) + right * t
    return out


def _mu11(x: np.ndarray) -> np.ndarray:
    x = x.reshape(-1, 28, 28).astype(np.float64)
    rr, cc = np.mgrid[0:28, 0:28]
    t = x.sum((1, 2))
    rm = (x * rr).sum((1, 2)) / t
    cm = (x * cc).sum((1, 2)) / t
    return (x * (rr - rm[:, None, None]) * (cc - cm[:, None, None])).sum((1, 2)) / t


def test_without_deskew_is_exactly_divide_by_255(mnist_test):
    images = mnist_test[0][:1000]
    out = prepare_mnist(images)
    assert out.shape == (1000, 784) and out.dtype == np.float32
    np.testing.assert_array_equal(out, images.reshape(1000, 784).astype(np.float32) / 255)


def test_float_input_accepted_and_checked():
    x = np.random.default_rng(0).random((5, 28, 28))
    np.testing.assert_allclose(prepare_mnist(x), x.reshape(5, 784), atol=1e-7)
    with pytest.raises(ValueError, match="0, 1"):
        prepare_mnist(x * 2)
    with pytest.raises(ValueError, match="shape"):
        prepare_mnist(np.zeros((5, 784), np.uint8))
    with pytest.raises(ValueError, match="dtype"):
        prepare_mnist(np.zeros((5, 28, 28), np.int64))


def test_deskew_matches_reference(mnist_test):
    images = mnist_test[0][:8].astype(np.float32) / 255
    got = deskew(images)
    for g, img in zip(got, images):
        np.testing.assert_allclose(g, _reference_deskew(img), atol=1e-4)


def test_deskew_straightens_and_changes_mnist_only_slightly(mnist_test):
    images = mnist_test[0][:2000]
    plain = prepare_mnist(images)
    straight = prepare_mnist(images, PreprocessConfig(deskew=True))
    assert straight.shape == plain.shape and straight.dtype == np.float32
    assert straight.min() >= 0 and straight.max() <= 1
    assert np.abs(_mu11(straight)).mean() < 0.3 * np.abs(_mu11(plain)).mean()
    corr = [np.corrcoef(a, b)[0, 1] for a, b in zip(plain[:300], straight[:300])]
    assert np.mean(corr) > 0.7
    # mass is preserved up to what is sheared past the border
    assert np.allclose(straight.sum(1), plain.sum(1), rtol=0.1)


def test_deskew_leaves_blank_and_upright_images_alone():
    blank = np.zeros((2, 28, 28), np.float32)
    np.testing.assert_array_equal(deskew(blank), blank)
    bar = np.zeros((1, 28, 28), np.float32)
    bar[0, 4:24, 13:15] = 1.0
    np.testing.assert_allclose(deskew(bar), bar, atol=1e-6)
