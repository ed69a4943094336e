"""The JSON API: three input forms, batch, metadata, health, and every error as JSON."""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from digit_classifier.model_io import load_model
from digit_classifier.preprocessing import PreprocessConfig, trace_candidates
from tests.support import uploads
from tests.support.apps import build_app, make_config
from tests.support.images import mnist_digit_bytes


def post_multipart(client, data: bytes, name="digit.png", url="/api/v1/predict"):
    return client.post(url, data={"image": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def post_raw(client, data: bytes, url="/api/v1/predict", content_type="image/png"):
    return client.post(url, data=data, content_type=content_type)


def post_json(client, data: bytes, url="/api/v1/predict", data_url=False):
    text = base64.b64encode(data).decode()
    return client.post(url, json={"image": f"data:image/png;base64,{text}" if data_url else text})


FORMS = {
    "multipart": post_multipart,
    "raw": post_raw,
    "json": post_json,
    "json_data_url": lambda c, d: post_json(c, d, data_url=True),
}


@pytest.mark.parametrize("image_name", ["dark_on_light.png", "light_on_dark.png", "rgba_canvas.png",
                                        "rectangular.jpg", "digit.webp", "digit.gif", "digit.bmp",
                                        "scan.tif", "digit.avif", "iphone.heic"])
def test_every_input_form_gives_the_same_answer(client, digit_forms, image_name):
    answers = [FORMS[form](client, digit_forms[image_name]) for form in FORMS]
    assert [r.status_code for r in answers] == [200] * len(FORMS)
    first = answers[0].get_json()
    for other in answers[1:]:
        assert other.get_json() == first
    assert first["digit"] == 7  # MNIST test digit 0 is a clear 7


def test_prediction_body(client, app, seven_png):
    body = post_raw(client, seven_png).get_json()
    probabilities = np.array(body["probabilities"])
    assert probabilities.shape == (10,)
    assert probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    assert body["digit"] == int(np.argmax(probabilities))
    assert body["probability"] == pytest.approx(probabilities.max())
    assert body["confident"] == (body["probability"] >= app.config["CONFIDENCE_THRESHOLD"])
    info = client.get("/api/v1/model").get_json()
    assert body["model"] == {"name": info["name"], "version": info["version"],
                             "store_name": "digits", "store_version": 1}
    assert "preprocessed_png" not in body


def test_preprocessed_png_is_the_model_input(client, seven_png, model_path):
    body = post_raw(client, seven_png, url="/api/v1/predict?preprocessed=1").get_json()
    picture = Image.open(io.BytesIO(base64.b64decode(body["preprocessed_png"])))
    assert picture.format == "PNG" and picture.size == (28, 28) and picture.mode == "L"
    config = PreprocessConfig.from_dict(load_model(model_path)["preprocessing"])
    winner = {t.candidate: t for t in trace_candidates(seven_png, config)}[body["candidate"]]
    expected = np.rint(winner.image28 * 255)
    assert np.abs(np.asarray(picture, dtype=np.float64) - expected).max() <= 1


@pytest.mark.parametrize("name", list(uploads.bad_images()))
@pytest.mark.parametrize("form", ["multipart", "raw", "json"])
def test_bad_images_are_json_errors(client, name, form):
    data, code = uploads.bad_images()[name]
    response = FORMS[form](client, data)
    assert response.status_code == (413 if code == "too_large" else 400)
    assert response.get_json()["error"]["code"] == code


@pytest.mark.parametrize(
    "kwargs, status, code",
    [
        ({"data": {"file": (io.BytesIO(b"x"), "d.png")}, "content_type": "multipart/form-data"}, 400, "missing_field"),
        ({"data": b"{not json", "content_type": "application/json"}, 400, "bad_json"),
        ({"json": {"picture": "AAAA"}}, 400, "missing_field"),
        ({"json": ["image"]}, 400, "missing_field"),
        ({"json": {"image": 12}}, 400, "bad_base64"),
        ({"json": {"image": "not*base64!"}}, 400, "bad_base64"),
        ({"json": {"image": "data:image/png,rawdata"}}, 400, "bad_base64"),
        ({"json": {"image": ""}}, 400, "empty"),
        ({"data": b"hello", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"data": b"\x89PNG", "content_type": "application/octet-stream"}, 415, "unsupported_media_type"),
        ({"data": {"image": "x"}, "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({}, 400, "missing_field"),
    ],
    ids=["no-image-field", "bad-json", "json-no-image", "json-not-object", "json-image-not-string",
         "bad-base64", "data-url-not-base64", "empty-base64", "text-plain", "octet-stream", "urlencoded", "nothing"],
)
def test_request_errors(client, kwargs, status, code):
    response = client.post("/api/v1/predict", **kwargs)
    assert response.status_code == status
    assert response.get_json()["error"] == {"status": status, "code": code, "message": response.get_json()["error"]["message"]}
    assert response.get_json()["error"]["message"]


@pytest.fixture(scope="module")
def small_limit_client(model_path):
    return build_app(make_config(model_path, MAX_CONTENT_LENGTH=4096)).test_client()


@pytest.mark.parametrize("form", ["multipart", "raw", "json"])
def test_over_the_upload_limit_is_413_json(small_limit_client, form):
    response = FORMS[form](small_limit_client, bytes(8000))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_batch_answers_in_order_with_per_item_errors(client, mnist_test_digits):
    pixels, labels = mnist_test_digits
    bad = uploads.bad_images()
    files = [
        (mnist_digit_bytes(pixels[0]), "first.png"),
        (bad["blank.png"][0], "blank.png"),
        (mnist_digit_bytes(pixels[1], dark_on_light=False), "second.png"),
        (bad["text_renamed.png"][0], "text.png"),
        (bad["zero_byte.png"][0], "zero.png"),
    ]
    data = {"images": [(io.BytesIO(b), n) for b, n in files]}
    body = client.post("/api/v1/predict/batch", data=data, content_type="multipart/form-data").get_json()
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["filename"] for r in results] == [n for _, n in files]
    assert [r.get("error", {}).get("code") for r in results] == [None, "no_ink", None, "not_an_image", "empty"]
    for result, (payload, _) in zip([results[0], results[2]], [files[0], files[2]]):
        single = post_raw(client, payload).get_json()
        assert result["digit"] == single["digit"]
        assert result["probabilities"] == pytest.approx(single["probabilities"], abs=1e-6)
    assert results[0]["digit"] == labels[0]
    assert body["model"]["name"] == client.get("/api/v1/model").get_json()["name"]


def test_batch_preprocessed(client, seven_png):
    data = {"images": [(io.BytesIO(seven_png), "a.png")]}
    body = client.post("/api/v1/predict/batch?preprocessed=1", data=data, content_type="multipart/form-data").get_json()
    assert Image.open(io.BytesIO(base64.b64decode(body["results"][0]["preprocessed_png"]))).size == (28, 28)


def test_batch_count_is_capped(model_path, seven_png):
    client = build_app(make_config(model_path, BATCH_MAX_IMAGES=2)).test_client()
    data = {"images": [(io.BytesIO(seven_png), f"{i}.png") for i in range(3)]}
    response = client.post("/api/v1/predict/batch", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "too_many_images"
    data = {"images": [(io.BytesIO(seven_png), f"{i}.png") for i in range(2)]}
    assert client.post("/api/v1/predict/batch", data=data, content_type="multipart/form-data").status_code == 200


@pytest.mark.parametrize(
    "kwargs, status, code",
    [
        ({"data": {"image": (io.BytesIO(b"x"), "a.png")}, "content_type": "multipart/form-data"}, 400, "missing_field"),
        ({"data": b"\x89PNG", "content_type": "image/png"}, 415, "unsupported_media_type"),
    ],
    ids=["wrong-field", "not-multipart"],
)
def test_batch_request_errors(client, kwargs, status, code):
    response = client.post("/api/v1/predict/batch", **kwargs)
    assert response.status_code == status and response.get_json()["error"]["code"] == code


def test_model_metadata(client, app):
    info = client.get("/api/v1/model").get_json()
    loaded = app.extensions["digit_classifier"].predictor.info
    assert info == loaded
    assert 0.5 < info["metrics"]["test_accuracy"] <= 1.0
    assert info["checksum"] and info["name"]


def test_healthz(client, no_model_client):
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.get_json()["status"] == "ok"
    down = no_model_client.get("/healthz")
    assert down.status_code == 503 and down.get_json()["status"] == "unavailable"


@pytest.mark.parametrize("method, url", [("post", "/api/v1/predict"), ("post", "/api/v1/predict/batch"),
                                         ("get", "/api/v1/model")])
def test_no_model_is_503_json(no_model_client, seven_png, method, url):
    kwargs = {"data": {"image": (io.BytesIO(seven_png), "a.png"), "images": (io.BytesIO(seven_png), "a.png")},
              "content_type": "multipart/form-data"} if method == "post" else {}
    response = getattr(no_model_client, method)(url, **kwargs)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "model_unavailable"


@pytest.mark.parametrize("method, url, status", [
    ("get", "/api/v1/nothing-here", 404),
    ("get", "/api/v2/predict", 404),
    ("get", "/api/v1/predict", 405),
    ("put", "/api/v1/predict/batch", 405),
    ("delete", "/api/v1/model", 405),
    ("post", "/healthz", 405),
])
def test_404_and_405_are_json_under_api(client, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response.get_json()["error"]["status"] == status
    if status == 405:
        assert response.headers["Allow"]


def test_unexpected_exception_is_json_500(client, app, seven_png, monkeypatch, caplog):
    def explode(source):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["digit_classifier"].predictor, "predict", explode)
    response = post_raw(client, seven_png)
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "boom" not in response.get_data(as_text=True)
    assert any("boom" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_csrf_does_not_apply_to_the_api(csrf_client, seven_png):
    assert post_multipart(csrf_client, seven_png).status_code == 200
    assert post_raw(csrf_client, seven_png).status_code == 200
