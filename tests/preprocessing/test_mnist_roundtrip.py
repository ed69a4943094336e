"""Real MNIST test digits rendered as big images come back close to the originals."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digit_classifier.preprocessing import ImageError, preprocess_image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from realistic_set import render_realistic  # noqa: E402


@pytest.mark.parametrize("dark_on_light", [True, False])
def test_upscaled_mnist_digits_round_trip(mnist_test, dark_on_light):
    images = mnist_test[0][:300]
    corr = []
    for img in images:
        arr = 255 - img if dark_on_light else img
        big = Image.fromarray(arr).resize((280, 280), Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        big.save(buf, "PNG")
        out = preprocess_image(buf.getvalue())
        corr.append(np.corrcoef(out, img.reshape(784) / 255.0)[0, 1])
    assert np.mean(corr) > 0.9
    assert np.percentile(corr, 10) > 0.75


def test_realistic_photos_come_back_close(mnist_test):
    images = mnist_test[0][:60]
    photos = render_realistic(images, np.random.default_rng(7))
    again = render_realistic(images[:3], np.random.default_rng(7))
    assert photos[:3] == again  # reproducible from the seed
    corr = []
    for data, img in zip(photos, images):
        try:
            out = preprocess_image(data)
        except ImageError:
            corr.append(0.0)
            continue
        corr.append(np.corrcoef(out, img.reshape(784) / 255.0)[0, 1])
    assert np.mean(corr) > 0.85
    assert np.median(corr) > 0.9
