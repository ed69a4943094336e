"""The inference protocols under a real Apache + mod_wsgi: tritonclient (V2) and TF Serving REST (v1)."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import requests

pytestmark = pytest.mark.slow
tritonclient_http = pytest.importorskip("tritonclient.http")  # pinned in tests/requirements.txt


@pytest.fixture(scope="module")
def native_digits(apache, test_digits) -> list[int]:
    """What /api/v1/predict answers under Apache for each test digit."""
    return [requests.post(apache.url + "/api/v1/predict", data=png, headers={"Content-Type": "image/png"},
                          timeout=30).json()["digit"] for png, _ in test_digits]


@pytest.mark.parametrize("binary", [True, False])
def test_tritonclient_infer_matches_the_native_api(apache, test_digits, native_digits, binary):
    client = tritonclient_http.InferenceServerClient(apache.url.removeprefix("http://"))
    try:
        assert client.is_server_ready() and client.is_model_ready("digits", "1")
        pngs = [png for png, _ in test_digits]
        tensor = tritonclient_http.InferInput("image", [len(pngs)], "BYTES")
        tensor.set_data_from_numpy(np.array(pngs if binary else [base64.b64encode(p) for p in pngs], dtype=object),
                                   binary_data=binary)
        outputs = [tritonclient_http.InferRequestedOutput(n, binary_data=binary) for n in ("digit", "probabilities")]
        result = client.infer("digits", [tensor], outputs=outputs)
        assert result.as_numpy("digit").tolist() == native_digits
        assert result.as_numpy("probabilities").shape == (len(pngs), 10)
        assert result.get_response()["model_version"] == "1"
    finally:
        client.close()


def test_tf_serving_predict_matches_the_native_api(apache, test_digits, native_digits):
    instances = [{"b64": base64.b64encode(png).decode("ascii")} for png, _ in test_digits]
    response = requests.post(apache.url + "/v1/models/digits:predict", json={"instances": instances}, timeout=60)
    assert response.status_code == 200, response.text
    assert [p["digit"] for p in response.json()["predictions"]] == native_digits
    status = requests.get(apache.url + "/v1/models/digits", timeout=10).json()
    assert status["model_version_status"][0]["state"] == "AVAILABLE"


@pytest.mark.parametrize("method, path, body, status", [
    ("post", "/v2/models/digits/infer", b"{not json", 400),
    ("post", "/v2/models/nope/infer", b"{}", 404),
    ("post", "/v2/models/digits/versions/2/infer", b"{}", 404),
    ("post", "/v1/models/digits:predict", b'{"instances": [[0.5, 0.5]]}', 400),
    ("post", "/v1/models/digits:predict", b'{"instances": ' + b"[" + b",".join([b"[0.0]"] * 65) + b"]}", 400),
    ("get", "/v2/nowhere", None, 404),
])
def test_bad_requests_are_4xx_json_under_apache(apache, method, path, body, status):
    response = requests.request(method, apache.url + path, data=body, timeout=30)
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["error"], str)
