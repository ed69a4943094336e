"""TensorFlow Serving REST API v1 with `requests`, as its documentation shows the calls, and its bad inputs."""

import base64
import json

import numpy as np
import pytest
import requests


def _b64(png: bytes) -> dict:
    return {"b64": base64.b64encode(png).decode("ascii")}


def test_version_status_and_metadata(live_url):
    status = requests.get(f"{live_url}/v1/models/digits", timeout=30).json()["model_version_status"]
    assert [(s["version"], s["state"]) for s in status] == [("3", "END"), ("2", "AVAILABLE"), ("1", "AVAILABLE")]
    assert status[1]["status"] == {"error_code": "OK", "error_message": ""}
    one = requests.get(f"{live_url}/v1/models/digits/versions/1", timeout=30).json()
    assert one["model_version_status"][0]["version"] == "1"
    meta = requests.get(f"{live_url}/v1/models/digits/metadata", timeout=30).json()
    assert meta["model_spec"] == {"name": "digits", "signature_name": "", "version": "2"}
    signature = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert set(signature["inputs"]) == {"image", "input"} and "digit" in signature["outputs"]


def test_row_form_b64_images_give_the_native_digits(live_url, digit_pngs, native_digits):
    response = requests.post(f"{live_url}/v1/models/digits:predict",
                             data=json.dumps({"instances": [_b64(png) for png in digit_pngs]}), timeout=30)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert [p["digit"] for p in predictions] == native_digits
    assert all(len(p["probabilities"]) == 10 and p["probability"] == max(p["probabilities"]) for p in predictions)


def test_named_and_columnar_forms(live_url, digit_pngs, native_digits):
    named = requests.post(f"{live_url}/v1/models/digits/versions/1:predict",
                          json={"signature_name": "serving_default",
                                "instances": [{"image": _b64(png)} for png in digit_pngs[:3]]}, timeout=30)
    assert [p["digit"] for p in named.json()["predictions"]] == native_digits[:3]
    columnar = requests.post(f"{live_url}/v1/models/digits:predict",
                             json={"inputs": {"image": [_b64(png) for png in digit_pngs[:3]]}}, timeout=30)
    outputs = columnar.json()["outputs"]
    assert outputs["digit"] == native_digits[:3] and np.array(outputs["probabilities"]).shape == (3, 10)


@pytest.mark.parametrize("form", ["flat", "square", "named"])
def test_arrays_in_mnist_form(live_url, mnist_rows, form):
    rows, labels = mnist_rows
    instances = {"flat": rows.tolist(), "square": rows.reshape(-1, 28, 28).tolist(),
                 "named": [{"input": row} for row in rows.tolist()]}[form]
    response = requests.post(f"{live_url}/v1/models/digits:predict", json={"instances": instances}, timeout=30)
    digits = [p["digit"] for p in response.json()["predictions"]]
    assert np.mean(np.array(digits) == labels) >= 0.9


IMAGE = base64.b64encode(b"\x89PNG not really").decode()
BAD = {
    "not_json": (b"{instances", 400),
    "no_instances": (json.dumps({"signature_name": "x"}), 400),
    "both_forms": (json.dumps({"instances": [], "inputs": []}), 400),
    "instances_not_list": (json.dumps({"instances": {"b64": IMAGE}}), 400),
    "empty": (json.dumps({"instances": []}), 400),
    "bad_base64": (json.dumps({"instances": [{"b64": "@@@"}]}), 400),
    "not_an_image": (json.dumps({"instances": [{"b64": IMAGE}]}), 400),
    "wrong_shape": (json.dumps({"instances": [[0.0] * 783]}), 400),
    "ragged": (json.dumps({"instances": [[0.0] * 784, [0.0] * 28]}), 400),
    "strings": (json.dumps({"instances": [["a"] * 784]}), 400),
    "out_of_range": (json.dumps({"instances": [[3.0] * 784]}), 400),
    "mixed": (json.dumps({"instances": [{"b64": IMAGE}, [0.0] * 784]}), 400),
    "wrong_type": (json.dumps({"instances": [7]}), 400),
    "two_named_inputs": (json.dumps({"inputs": {"image": [], "input": []}}), 400),
    "too_large_batch": (json.dumps({"instances": [[0.0] * 784] * 65}), 400),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_requests_are_4xx_with_an_error_string(live_url, name):
    body, status = BAD[name]
    response = requests.post(f"{live_url}/v1/models/digits:predict", data=body, timeout=30)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"} and isinstance(response.json()["error"], str)


@pytest.mark.parametrize("method, path, status", [
    ("post", "/v1/models/nope:predict", 404), ("post", "/v1/models/digits/versions/9:predict", 404),
    ("post", "/v1/models/digits/versions/3:predict", 503), ("post", "/v1/models/digits/versions/x:predict", 400),
    ("get", "/v1/models/nope", 404), ("get", "/v1/models/digits/versions/9/metadata", 404),
    ("get", "/v1/models/digits:predict", 404), ("put", "/v1/models/digits:predict", 405)])
def test_unknown_models_versions_and_methods(live_url, method, path, status):
    response = requests.request(method, live_url + path, json={"instances": [[0.0] * 784]}, timeout=30)
    assert response.status_code == status, response.text
    assert isinstance(response.json()["error"], str)
