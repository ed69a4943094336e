"""Refuse only what has no digit: blank, uniform and noise-only pictures are ``no_ink``; ink
that touches the edges or fills the frame is read."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from digit_classifier.preprocessing import ImageError, preprocess_image
from digit_classifier.preprocessing.threshold import NOISE_COHERENCE, coherence


def _png(pixels: np.ndarray, scale: int = 1) -> bytes:
    img = Image.fromarray(pixels, "L")
    if scale > 1:
        img = img.resize((pixels.shape[1] * scale, pixels.shape[0] * scale), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _tight(image28: np.ndarray) -> np.ndarray:
    """Dark ink on white, cut to the ink's box: the ink touches all four edges."""
    rows, cols = np.flatnonzero(image28.any(axis=1)), np.flatnonzero(image28.any(axis=0))
    return 255 - image28[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


NO_INK = {
    "blank": np.full((120, 90), 255, np.uint8),
    "uniform grey": np.full((120, 90), 128, np.uint8),
    "uniform noise": np.random.default_rng(1).integers(0, 256, (120, 90)).astype(np.uint8),
    "noisy paper": np.clip(np.random.default_rng(2).normal(215, 15, (200, 160)), 0, 255).astype(np.uint8),
}


@pytest.mark.parametrize("name", sorted(NO_INK))
def test_pictures_without_ink_are_refused(name):
    with pytest.raises(ImageError) as info:
        preprocess_image(_png(NO_INK[name]))
    assert info.value.code == "no_ink"


def test_tight_crops_of_real_digits_are_read(mnist_test):
    images, _ = mnist_test
    sample = np.random.default_rng(0).choice(5000, 200, replace=False)
    refused = []
    for i in sample:
        try:
            preprocess_image(_png(_tight(images[i]), scale=4))
        except ImageError:
            refused.append(int(i))
    assert refused == []


def test_coherence_tells_noise_from_smooth_ink(mnist_test):
    noise = np.random.default_rng(3).random((100, 100)).astype(np.float32)
    digit = np.asarray(Image.fromarray(mnist_test[0][0]).resize((112, 112), Image.Resampling.BILINEAR),
                       np.float32) / 255
    assert coherence(noise) > 1.1 * NOISE_COHERENCE
    assert coherence(digit) < NOISE_COHERENCE / 4
    assert coherence(np.zeros((10, 10), np.float32)) == 1.0  # nothing varies: no drawing
