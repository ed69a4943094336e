"""Open Inference Protocol V2 with the real tritonclient[http] against a real server, and its bad inputs."""

import base64
import json

import numpy as np
import pytest

tritonclient_http = pytest.importorskip("tritonclient.http")  # pinned in tests/requirements.txt
from tritonclient.utils import InferenceServerException  # noqa: E402

OUTPUT_NAMES = ("digit", "probability", "probabilities")


@pytest.fixture()
def triton(live_url):
    client = tritonclient_http.InferenceServerClient(live_url.removeprefix("http://"))
    yield client
    client.close()


def _image_input(pngs, binary):
    tensor = tritonclient_http.InferInput("image", [len(pngs)], "BYTES")
    data = pngs if binary else [base64.b64encode(png) for png in pngs]  # JSON carries base64 text
    tensor.set_data_from_numpy(np.array(data, dtype=object), binary_data=binary)
    return tensor


def _outputs(binary):
    return [tritonclient_http.InferRequestedOutput(name, binary_data=binary) for name in OUTPUT_NAMES]


def test_health_and_metadata(triton):
    assert triton.is_server_live() and triton.is_server_ready()
    assert "binary_tensor_data" in triton.get_server_metadata()["extensions"]
    meta = triton.get_model_metadata("digits")
    assert meta["versions"] == ["1", "2"]  # version 3 failed to load
    assert {i["name"]: i["datatype"] for i in meta["inputs"]} == {"image": "BYTES", "input": "FP32"}
    assert {o["name"]: o["datatype"] for o in meta["outputs"]} == {"probabilities": "FP32", "digit": "INT64",
                                                                   "probability": "FP32"}
    assert triton.is_model_ready("digits", "1") and not triton.is_model_ready("digits", "3")
    assert not triton.is_model_ready("nope")


@pytest.mark.parametrize("binary_in", [True, False])
@pytest.mark.parametrize("binary_out", [True, False])
def test_bytes_images_give_the_native_digits(triton, digit_pngs, native_digits, binary_in, binary_out):
    result = triton.infer("digits", [_image_input(digit_pngs, binary_in)], outputs=_outputs(binary_out))
    assert result.as_numpy("digit").tolist() == native_digits
    probabilities = result.as_numpy("probabilities")
    assert probabilities.shape == (len(digit_pngs), 10) and probabilities.dtype == np.float32
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert np.array_equal(result.as_numpy("probability"), probabilities.max(axis=1))
    assert result.get_response()["model_version"] == "2"


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("shape", [(12, 784), (12, 28, 28)])
def test_fp32_rows_give_the_local_predictors_digits(triton, mnist_rows, model_path, binary, shape):
    from digit_classifier.predictor import Predictor

    rows, labels = mnist_rows
    tensor = tritonclient_http.InferInput("input", list(shape), "FP32")
    tensor.set_data_from_numpy(rows.reshape(shape), binary_data=binary)
    result = triton.infer("digits", [tensor], model_version="1", outputs=_outputs(binary))
    expected = Predictor.from_file(model_path).predict_arrays(rows)
    assert result.as_numpy("digit").tolist() == np.argmax(expected, axis=1).tolist()
    assert np.allclose(result.as_numpy("probabilities"), expected, atol=1e-6)
    assert np.mean(result.as_numpy("digit") == labels) >= 0.9  # real MNIST digits, a trained model
    assert result.get_response()["model_version"] == "1"


def test_default_answers_all_outputs_in_binary(triton, digit_pngs, native_digits):
    result = triton.infer("digits", [_image_input(digit_pngs[:2], True)])  # no outputs named
    assert all("binary_data_size" in o["parameters"] for o in result.get_response()["outputs"])
    assert result.as_numpy("digit").tolist() == native_digits[:2]


def test_selected_output_only(triton, digit_pngs):
    result = triton.infer("digits", [_image_input(digit_pngs[:1], False)],
                          outputs=[tritonclient_http.InferRequestedOutput("digit", binary_data=False)])
    assert [o["name"] for o in result.get_response()["outputs"]] == ["digit"]


@pytest.mark.parametrize("model, version, status", [("nope", "", "404"), ("digits", "9", "404"),
                                                    ("digits", "3", "503"), ("digits", "x", "400")])
def test_unknown_models_and_versions_raise_clearly(triton, digit_pngs, model, version, status):
    with pytest.raises(InferenceServerException) as caught:
        triton.infer(model, [_image_input(digit_pngs[:1], True)], model_version=version)
    assert caught.value.status() == status and caught.value.message()


def _json_infer(client, body, **kwargs):
    return client.post("/v2/models/digits/infer", data=json.dumps(body), content_type="application/json", **kwargs)


ROW = [0.0] * 784
BAD_BODIES = {
    "no_inputs": {},
    "two_inputs": {"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": ROW}] * 2},
    "unknown_input": {"inputs": [{"name": "pixels", "shape": [1, 784], "datatype": "FP32", "data": ROW}]},
    "wrong_shape": {"inputs": [{"name": "input", "shape": [1, 783], "datatype": "FP32", "data": ROW[:783]}]},
    "shape_vs_data": {"inputs": [{"name": "input", "shape": [2, 784], "datatype": "FP32", "data": ROW}]},
    "wrong_datatype": {"inputs": [{"name": "input", "shape": [1, 784], "datatype": "INT32", "data": [0] * 784}]},
    "image_as_fp32": {"inputs": [{"name": "image", "shape": [1], "datatype": "FP32", "data": [0.5]}]},
    "strings_in_fp32": {"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": ["a"] * 784}]},
    "out_of_range": {"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": [2.0] * 784}]},
    "bad_base64": {"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES", "data": ["@@@"]}]},
    "not_an_image": {"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                                 "data": [base64.b64encode(b"plain text").decode()]}]},
    "empty_batch": {"inputs": [{"name": "input", "shape": [0, 784], "datatype": "FP32", "data": []}]},
    "too_large_batch": {"inputs": [{"name": "input", "shape": [65, 784], "datatype": "FP32", "data": ROW * 65}]},
    "unknown_output": {"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": ROW}],
                       "outputs": [{"name": "logits"}]},
    "negative_shape": {"inputs": [{"name": "input", "shape": [-1, 784], "datatype": "FP32", "data": ROW}]},
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_bad_json_requests_are_4xx_with_an_error_string(store_client, name):
    response = _json_infer(store_client, BAD_BODIES[name])
    assert response.status_code == 400, response.get_data(as_text=True)
    assert set(response.get_json()) == {"error"} and isinstance(response.get_json()["error"], str)


@pytest.mark.parametrize("body, header", [
    (b"{not json", None),
    (b'{"inputs": []}', "999"),
    (b'{"inputs": []}', "abc"),
    (json.dumps({"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32",
                             "parameters": {"binary_data_size": 3136}}]}).encode() + b"\0" * 100, "SIZE"),
    (json.dumps({"inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                             "parameters": {"binary_data_size": 8}}]}).encode() + b"\xff\0\0\0abcd", "SIZE"),
    (json.dumps({"inputs": [{"name": "input", "shape": [1, 784], "datatype": "FP32", "data": ROW}]}).encode()
     + b"extra", "SIZE"),
])
def test_malformed_binary_bodies_are_400(store_client, body, header):
    headers = {}
    if header is not None:
        json_end = body.index(b"}]}") + 3 if b"}]}" in body else len(body)
        headers["Inference-Header-Content-Length"] = str(json_end) if header == "SIZE" else header
    response = store_client.post("/v2/models/digits/infer", data=body, headers=headers,
                                 content_type="application/octet-stream")
    assert response.status_code == 400 and isinstance(response.get_json()["error"], str)


@pytest.mark.parametrize("method, path, status", [
    ("get", "/v2/models/nope", 404), ("get", "/v2/models/digits/versions/7", 404),
    ("get", "/v2/nowhere", 404), ("get", "/v2/models/digits/infer", 405),
    ("post", "/v2/models/digits/versions/abc/infer", 400)])
def test_routing_errors_use_the_protocol_shape(store_client, method, path, status):
    response = getattr(store_client, method)(path)
    assert response.status_code == status and isinstance(response.get_json()["error"], str)
    assert "Set-Cookie" not in response.headers


def test_body_over_the_upload_limit_is_413(store_client):
    response = _json_infer(store_client, {"inputs": [{"name": "input", "shape": [64, 784], "datatype": "FP32",
                                                      "data": [0.1234567890123456] * 700_000}]})  # > 10 MiB
    assert response.status_code == 413 and isinstance(response.get_json()["error"], str)
