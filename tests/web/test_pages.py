"""The HTML side: upload form, result page, friendly errors with the right status, CSRF."""

import io
import re
import tempfile

import pytest
import werkzeug.formparser

from tests.support import uploads
from tests.support.apps import build_app, make_config
from tests.support import images as images_factory
from tests.support.images import mnist_digit_bytes


def upload(client, data: bytes, name="digit.png", **extra):
    return client.post("/predict", data={"image": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data")


def result_digit(response) -> int:
    return int(re.search(rb'id="result-digit" data-digit="(\d)"', response.data).group(1))


def test_start_page(client):
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in page and 'name="image"' in page and 'type="file"' in page
    assert 'id="drawpad"' in page and "js/drawpad.js" in page
    assert "vendor/bootstrap/bootstrap.min.css" in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "no external (CDN) resources"
    assert 'id="model-card"' in page


@pytest.mark.parametrize("path", ["vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap/LICENSE",
                                  "css/app.css", "js/drawpad.js"])
def test_static_files_are_served_locally(client, path):
    response = client.get(f"/static/{path}")
    assert response.status_code == 200 and len(response.data) > 100
    response.close()


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name", ["dark_on_light.png", "light_on_dark.png", "rgba_canvas.png",
                                  "rectangular.jpg", "digit.webp", "digit.gif", "digit.bmp",
                                  "scan.tif", "digit.avif", "iphone.heic"])
def test_result_page_matches_the_api(client, digit_forms, name):
    response = upload(client, digit_forms[name], name=name)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    api = client.post("/api/v1/predict", data=digit_forms[name], content_type="image/png").get_json()
    assert result_digit(response) == api["digit"] == 7
    assert page.count('class="prob-row') == 10
    assert 'id="upload-preview"' in page and 'src="data:image/png;base64,' in page
    assert re.search(r'<img src="data:image/png;base64,[^"]+"[^>]*id="input28"', page)
    assert name in page
    info = client.get("/api/v1/model").get_json()
    assert info["name"] in page and str(info["version"]) in page


def test_uppercase_extension_is_accepted(client, seven_png):
    assert upload(client, seven_png, name="DIGIT.PNG").status_code == 200


@pytest.mark.parametrize("threshold, confident", [(0.0, True), (1.0, False)])
def test_confidence_notice(model_path, seven_png, threshold, confident):
    client = build_app(make_config(model_path, CONFIDENCE_THRESHOLD=threshold)).test_client()
    page = upload(client, seven_png).get_data(as_text=True)
    assert ('id="confidence-badge"' in page) == confident
    assert ('id="not-confident"' in page) == (not confident)


def _assert_form_page(response, status, text):
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert 'id="error-message"' in page and text in page
    assert 'id="upload-form"' in page and 'id="drawpad"' in page


@pytest.mark.parametrize("name", list(uploads.bad_images()))
def test_bad_images_show_a_friendly_error(client, name):
    from digit_classifier.web.messages import FRIENDLY

    data, code = uploads.bad_images()[name]
    response = upload(client, data, name=name)
    if code == "empty":  # the form's FileSize(min_size=1) catches it before the model
        _assert_form_page(response, 400, "must hold between 1 byte")
    else:
        _assert_form_page(response, 413 if code == "too_large" else 400, FRIENDLY[code].split(".")[0])


@pytest.mark.parametrize("data, text", [
    ({}, "Choose an image file first."),
    ({"image": (io.BytesIO(b""), "")}, "Choose an image file first."),
    ({"image": (io.BytesIO(b"abc"), "digit.txt")}, "Only PNG, JPEG, GIF, BMP, WebP, TIFF, AVIF or HEIC"),
    ({"image": (io.BytesIO(b"abc"), "noextension")}, "Only PNG, JPEG, GIF, BMP, WebP, TIFF, AVIF or HEIC"),
], ids=["no-field", "no-file-chosen", "wrong-extension", "no-extension"])
def test_form_errors(client, data, text):
    response = client.post("/predict", data=data, content_type="multipart/form-data")
    _assert_form_page(response, 400, text)


def test_too_large_upload_is_413_page(model_path):
    client = build_app(make_config(model_path, MAX_CONTENT_LENGTH=4096)).test_client()
    response = upload(client, bytes(8000))
    _assert_form_page(response, 413, "the limit is 4 KiB")


def test_csrf_is_enforced(csrf_client, seven_png):
    _assert_form_page(upload(csrf_client, seven_png), 400, "form session expired")
    _assert_form_page(upload(csrf_client, seven_png, csrf_token="forged"), 400, "form session expired")
    page = csrf_client.get("/").get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
    tokens = [a or b for a, b in tokens]
    assert len(tokens) == 2  # upload form and drawing pad
    for token in tokens:
        response = upload(csrf_client, seven_png, csrf_token=token)
        assert response.status_code == 200 and result_digit(response) == 7


def test_no_model(no_model_client, seven_png):
    start = no_model_client.get("/")
    assert start.status_code == 200 and b"not available" in start.data
    _assert_form_page(upload(no_model_client, seven_png), 503, "not available right now")


@pytest.mark.parametrize("method, url, status, text", [
    ("get", "/no/such/page", 404, "Page not found"),
    ("delete", "/", 405, "Method not allowed"),
    ("put", "/predict", 405, "Method not allowed"),
])
def test_error_pages_are_html(client, method, url, status, text):
    response = getattr(client, method)(url)
    assert response.status_code == status and response.mimetype == "text/html"
    assert text in response.get_data(as_text=True) and 'id="error-status"' in response.get_data(as_text=True)


def test_get_predict_goes_back_to_the_form(client):
    response = client.get("/predict")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_unexpected_exception_is_a_500_page(client, app, seven_png, monkeypatch):
    def explode(source):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.extensions["digit_classifier"].predictor, "predict", explode)
    response = upload(client, seven_png)
    assert response.status_code == 500 and b"Something went wrong" in response.data and b"boom" not in response.data


def test_uploads_never_touch_the_disk(client, mnist_test_digits, monkeypatch):
    """A ~940 KB upload (over Werkzeug's 500 KiB spooling threshold) stays in memory."""
    def no_disk(*args, **kwargs):
        raise AssertionError("an upload was spooled to a temporary file")

    monkeypatch.setattr(werkzeug.formparser, "SpooledTemporaryFile", no_disk, raising=False)
    monkeypatch.setattr(tempfile, "TemporaryFile", no_disk)
    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", no_disk)
    pixels, _ = mnist_test_digits
    big = mnist_digit_bytes(pixels[0], "BMP", scale=20, mode="RGB")
    assert 900_000 < len(big) < 1024 * 1024
    response = upload(client, big, name="big.bmp")
    assert response.status_code == 200 and result_digit(response) == 7
    assert client.post("/api/v1/predict", data={"image": (io.BytesIO(big), "big.bmp")},
                       content_type="multipart/form-data").status_code == 200


def test_the_result_page_names_the_filled_hypothesis(client, mnist_test_digits):
    """A hollow digit read through the "filled" candidate: the page says so, and shows the
    digit the API gives with ``candidate: filled``."""
    images, _ = mnist_test_digits
    for pixels in images[:40]:
        hollow = images_factory.textured(images_factory.solid_mnist_mask(pixels), "outline")
        data = images_factory.ink_png_bytes(hollow)
        api = client.post("/api/v1/predict", data=data, content_type="image/png").get_json()
        if api["candidate"] == "filled":
            break
    else:
        pytest.fail("no hollow digit among 40 was read through the filled candidate")
    response = upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and result_digit(response) == api["digit"]
    assert 'data-candidate="filled"' in page and "small gaps filled in" in page
