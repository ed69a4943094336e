"""A bad model file never makes a 500: the app starts, and every route answers 503 model_unavailable."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from tests.support.apps import build_app, make_config

MUTATIONS = {
    "metrics a list": lambda d: dict(d, metrics=[0.99]),
    "created_at an int": lambda d: dict(d, created_at=20240101),
    "accuracy a string": lambda d: dict(d, metrics=dict(d["metrics"], test_accuracy="99%")),
    "input layer 100": lambda d: dict(d, layer_sizes=[100] + d["layer_sizes"][1:],
                                      weights=[np.zeros((100, d["layer_sizes"][1]), np.float32)] + d["weights"][1:]),
    "preprocessing unknown key": lambda d: dict(d, preprocessing={"zoom": 2}),
    "name None": lambda d: dict(d, name=None),
    "truncated": None,
}


@pytest.fixture(params=list(MUTATIONS))
def bad_model_client(request, quick_model_dict, tmp_path):
    path = tmp_path / "model.pkl"
    mutate = MUTATIONS[request.param]
    if mutate is None:
        path.write_bytes(pickle.dumps(quick_model_dict, protocol=5)[:5000])
    else:
        path.write_bytes(pickle.dumps(mutate(dict(quick_model_dict)), protocol=5))
    return build_app(make_config(path)).test_client()


@pytest.mark.parametrize("method,path", [("GET", "/healthz"), ("GET", "/api/v1/model"),
                                         ("POST", "/api/v1/predict"), ("POST", "/api/v1/predict/batch")])
def test_api_answers_503_model_unavailable(bad_model_client, seven_png, method, path):
    response = bad_model_client.open(path, method=method, data=seven_png, content_type="image/png")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "model_unavailable"


@pytest.mark.parametrize("method,path,status", [("GET", "/", 200), ("POST", "/predict", 503)])
def test_pages_work_without_the_model(bad_model_client, method, path, status):
    response = bad_model_client.open(path, method=method)
    assert response.status_code == status
    assert b"No model loaded" in response.data
