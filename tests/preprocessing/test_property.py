"""Property-based: random images never crash; they give valid output or an ImageError."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from digit_classifier.preprocessing import ImageError, PreprocessConfig, preprocess_image
from digit_classifier.preprocessing.loading import MIN_SIDE


@st.composite
def random_images(draw):
    w = draw(st.integers(5, 700))
    h = draw(st.integers(5, 700))
    mode = draw(st.sampled_from(["L", "RGB", "RGBA", "LA", "P"]))
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    bg = tuple(int(v) for v in rng.integers(0, 256, 4))
    img = Image.new("RGBA", (w, h), bg)
    dr = ImageDraw.Draw(img)
    for _ in range(draw(st.integers(0, 6))):
        x0, x1 = sorted(rng.integers(0, w, 2).tolist())
        y0, y1 = sorted(rng.integers(0, h, 2).tolist())
        colour = tuple(int(v) for v in rng.integers(0, 256, 4))
        dr.line([(x0, y0), (x1, y1)], fill=colour, width=int(rng.integers(1, 30)))
    if draw(st.booleans()):
        arr = np.asarray(img, np.float32) + rng.normal(0, draw(st.floats(0, 40)), (h, w, 4))
        img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGBA")
    fmt = draw(st.sampled_from(["PNG", "JPEG", "WEBP"]))
    img = img.convert(mode if fmt != "JPEG" else ("L" if mode in ("L", "LA") else "RGB"))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue(), w, h


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_images(), st.sampled_from(["mnist", "center"]))
def test_never_crashes(sample, mode):
    data, w, h = sample
    try:
        out = preprocess_image(data, PreprocessConfig(mode=mode))
    except ImageError as exc:
        assert exc.code in {"too_small", "no_ink"}
        assert exc.code != "too_small" or min(w, h) < MIN_SIDE
        return
    assert min(w, h) >= MIN_SIDE
    assert out.shape == (784,) and out.dtype == np.float32
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
