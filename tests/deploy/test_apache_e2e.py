"""End-to-end tests of wsgi.py under a real Apache + mod_wsgi (2 daemon processes x 4 threads)."""

from __future__ import annotations

import base64
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.deploy.conftest import APACHE_BODY_LIMIT, REPO_ROOT, UPLOAD_LIMIT, app_env

pytestmark = pytest.mark.slow

CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
RESULT_DIGIT = re.compile(r'id="result-digit" data-digit="(\d)"')


def api_error(response: requests.Response) -> dict:
    """The ``error`` object of a JSON error answer (fails the test on an HTML answer)."""
    assert response.headers["Content-Type"].startswith("application/json"), response.text[:200]
    return response.json()["error"]


def test_healthz_and_server(apache):
    response = requests.get(apache.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "Apache" in response.headers.get("Server", "")


def test_model_info(apache):
    info = requests.get(apache.url + "/api/v1/model", timeout=10).json()
    assert info, "empty model metadata"
    assert "error" not in info


def test_upload_page_and_static_files(apache):
    page = requests.get(apache.url + "/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert CSRF_INPUT.search(page.text), "no CSRF token in the upload form"
    css = requests.get(apache.url + "/static/vendor/bootstrap/bootstrap.min.css", timeout=10)
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert len(css.content) > 10_000


def test_form_upload_with_csrf_across_processes(apache, test_digits):
    """GET the page, keep the cookie, post with the token; repeated so both daemon processes answer.

    A per-process secret key would make about half of these fail with a CSRF error.
    """
    correct = 0
    for png, label in test_digits[:12]:
        session = requests.Session()
        token = CSRF_INPUT.search(session.get(apache.url + "/", timeout=10).text).group(1)
        response = session.post(apache.url + "/predict", data={"csrf_token": token},
                                files={"image": ("digit.png", png, "image/png")}, timeout=30)
        assert response.status_code == 200, response.text[:500]
        match = RESULT_DIGIT.search(response.text)
        assert match, "the result page shows no digit"
        correct += int(match.group(1)) == label
    assert correct >= 11


def test_form_upload_without_csrf_token_is_refused(apache, test_digits):
    response = requests.post(apache.url + "/predict",
                             files={"image": ("digit.png", test_digits[0][0], "image/png")}, timeout=30)
    assert response.status_code == 400
    assert "form session expired" in response.text
    assert not RESULT_DIGIT.search(response.text)


def test_api_multipart_predicts_real_digits(apache, test_digits):
    correct = 0
    for png, label in test_digits:
        response = requests.post(apache.url + "/api/v1/predict",
                                 files={"image": ("d.png", png, "image/png")}, timeout=30)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["probabilities"]) == 10
        assert sum(body["probabilities"]) == pytest.approx(1.0, abs=1e-4)
        assert body["probability"] == pytest.approx(max(body["probabilities"]))
        correct += body["digit"] == label
    assert correct >= 18, f"{correct}/20 real MNIST digits right through Apache"


@pytest.mark.parametrize("form", ["raw", "base64", "data_url"])
def test_api_other_input_forms_agree_with_multipart(apache, test_digits, form):
    png = test_digits[1][0]
    reference = requests.post(apache.url + "/api/v1/predict", files={"image": ("d.png", png)}, timeout=30).json()
    encoded = base64.b64encode(png).decode()
    if form == "raw":
        response = requests.post(apache.url + "/api/v1/predict", data=png,
                                 headers={"Content-Type": "image/png"}, timeout=30)
    elif form == "base64":
        response = requests.post(apache.url + "/api/v1/predict", json={"image": encoded}, timeout=30)
    else:
        response = requests.post(apache.url + "/api/v1/predict",
                                 json={"image": "data:image/png;base64," + encoded}, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["digit"] == reference["digit"]
    assert body["probabilities"] == pytest.approx(reference["probabilities"], abs=1e-6)


def test_api_batch_keeps_order_and_reports_bad_items(apache, test_digits):
    files = [("images", (f"d{i}.png", png, "image/png")) for i, (png, _) in enumerate(test_digits[:5])]
    files.insert(2, ("images", ("junk.png", b"this is not an image", "image/png")))
    response = requests.post(apache.url + "/api/v1/predict/batch", files=files, timeout=60)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [item["index"] for item in results] == list(range(6))
    assert "error" in results[2] and results[2]["error"]["code"] == "not_an_image"
    labels = [label for _, label in test_digits[:5]]
    predicted = [item["digit"] for i, item in enumerate(results) if i != 2]
    assert sum(p == t for p, t in zip(predicted, labels)) >= 4


@pytest.mark.parametrize("kwargs, status, code", [
    ({"files": {"other": ("d.png", b"x")}}, 400, "missing_field"),
    ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, 400, "bad_json"),
    ({"json": {"image": "%%% not base64 %%%"}}, 400, "bad_base64"),
    ({"data": b"hello", "headers": {"Content-Type": "text/plain"}}, 415, "unsupported_media_type"),
    ({"files": {"image": ("d.png", b"not an image at all")}}, 400, "not_an_image"),
])
def test_api_input_errors_are_json(apache, kwargs, status, code):
    response = requests.post(apache.url + "/api/v1/predict", timeout=30, **kwargs)
    assert response.status_code == status, response.text[:300]
    error = api_error(response)
    assert error["status"] == status
    assert error["code"] == code
    assert error["message"]


def test_upload_over_app_limit_gets_json_413(apache):
    body = b"\x89PNG" + b"\0" * (UPLOAD_LIMIT + 10)
    response = requests.post(apache.url + "/api/v1/predict", data=body,
                             headers={"Content-Type": "image/png"}, timeout=30)
    assert response.status_code == 413
    assert api_error(response)["code"] == "payload_too_large"


def test_upload_over_apache_backstop_gets_apache_413(apache):
    """Bodies above LimitRequestBody never reach Python: Apache answers 413 itself.

    mod_wsgi-express has Apache's own HTML page; the deployed site's error documents
    (JSON on the API) are tested in test_live_site.py.
    """
    body = b"\0" * (APACHE_BODY_LIMIT + 1)
    response = requests.post(apache.url + "/api/v1/predict", data=body,
                             headers={"Content-Type": "image/png"}, timeout=30)
    assert response.status_code == 413
    assert "Request Entity Too Large" in response.text


def test_unknown_route_and_wrong_method(apache):
    missing = requests.get(apache.url + "/api/v1/nope", timeout=10)
    assert missing.status_code == 404
    assert api_error(missing)["code"] == "not_found"
    wrong = requests.get(apache.url + "/api/v1/predict", timeout=10)
    assert wrong.status_code == 405
    assert api_error(wrong)["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]
    page = requests.get(apache.url + "/no-such-page", timeout=10)
    assert page.status_code == 404
    assert page.headers["Content-Type"].startswith("text/html")


def test_concurrent_requests_all_succeed(apache, test_digits):
    """32 requests from 16 client threads against 2 x 4 daemon threads."""
    png, label = test_digits[0]

    def one(_):
        response = requests.post(apache.url + "/api/v1/predict", files={"image": ("d.png", png)}, timeout=60)
        return response.status_code, response.json().get("digit")

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(one, range(32)))
    assert outcomes == [(200, outcomes[0][1])] * 32
    assert outcomes[0][1] == label


def test_missing_model_gives_503_not_a_crash(express, deploy_files, test_digits):
    """A server whose model file is missing still starts; /healthz and the API answer 503 JSON."""
    env = app_env(deploy_files["dir"] / "no-such-model.pkl", deploy_files["secret_key"],
                  deploy_files["dir"] / "instance")
    server = express.ExpressServer(script=REPO_ROOT / "wsgi.py", env=env, processes=1, threads=2)
    server.start(expect_status=503, timeout=90)
    try:
        health = requests.get(server.url + "/healthz", timeout=10)
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        response = requests.post(server.url + "/api/v1/predict",
                                 files={"image": ("d.png", test_digits[0][0])}, timeout=30)
        assert response.status_code == 503
        assert api_error(response)["code"] == "model_unavailable"
    finally:
        server.stop()
