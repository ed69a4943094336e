"""Cost bounds per request: the batch pixel budget and a result page that decodes the upload once."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.support import bad_images
from tests.support.apps import build_app, make_config


def batch(client, blobs: list[bytes]):
    files = [(io.BytesIO(blob), f"{i}.png") for i, blob in enumerate(blobs)]
    return client.post("/api/v1/predict/batch", data={"images": files}, content_type="multipart/form-data")


def test_batch_over_the_pixel_budget_is_a_413_naming_the_budget(model_path):
    client = build_app(make_config(model_path, BATCH_MAX_PIXELS=3_000_000)).test_client()
    big = bad_images.png_header_only(1000, 1000)        # 1 MP each by its header, never decoded
    response = batch(client, [big] * 4)
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "batch_too_large"
    assert "4000000 pixels" in error["message"] and "3000000" in error["message"]


def test_batch_within_the_budget_is_answered(model_path, seven_png):
    client = build_app(make_config(model_path, BATCH_MAX_PIXELS=3_000_000)).test_client()
    broken = b"\x89PNG\r\n\x1a\nnot really"           # unreadable headers count 0 and fail alone
    response = batch(client, [seven_png] * 3 + [broken])
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r.get("digit") for r in results[:3]] == [7, 7, 7]
    assert results[3]["error"]["code"] == "not_an_image"


def test_default_budget_refuses_64_cap_size_images(client):
    bomb = bad_images.png_zlib_bomb(6000)                # 36 MP each, 36 KB each
    response = batch(client, [bomb] * 3)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "batch_too_large"


def _preview(page: str) -> Image.Image:
    url = re.search(r'<img src="data:image/png;base64,([^"]+)"[^>]*id="upload-preview"', page).group(1)
    return Image.open(io.BytesIO(base64.b64decode(url)))


@pytest.mark.parametrize("mode,fmt", [("L", "PNG"), ("1", "PNG"), ("P", "GIF"), ("RGB", "JPEG"),
                                      ("I;16", "PNG"), ("RGBA", "WEBP")])
def test_result_page_decodes_the_upload_once(client, monkeypatch, mnist_test_digits, mode, fmt):
    from tests.support import images

    picture = images.mnist_digit_image(mnist_test_digits[0][0], scale=40)   # 1120 x 1120
    if mode == "I;16":  # full 16-bit range, as a scanner writes it
        picture = Image.fromarray(np.asarray(picture.convert("L")).astype(np.uint16) * 257)
    picture = picture.convert(mode) if mode != "I;16" else picture
    data = images.encode(picture, fmt)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(1) or real_open(*a, **k))
    response = client.post("/predict", data={"image": (io.BytesIO(data), f"d.{fmt.lower()}")},
                           content_type="multipart/form-data")
    monkeypatch.undo()
    assert response.status_code == 200
    assert len(opened) == 1
    preview = _preview(response.get_data(as_text=True))
    assert max(preview.size) == 320 and preview.mode in {"L", "LA", "RGB", "RGBA"}
