"""The versioned model store: layout scan, default version, ?version=N, /api/v1/models, re-scan."""

import shutil

import pytest

from digit_classifier.web.model_state import get_state, reload_store
from digit_classifier.web.model_store import (BadVersionError, UnknownModelError, load_store, parse_version,
                                              scan_store)
from tests.support.apps import build_app, make_config


def test_scan_finds_integer_versions_with_a_model_file(model_store):
    found = scan_store(model_store)
    assert sorted(found) == ["digits", "other"]
    assert sorted(found["digits"]) == [1, 2, 3]  # "latest" (not an integer) and 4 (no model.pkl) skipped


def test_highest_loaded_version_answers_by_default(model_store, model_path):
    store = load_store(model_store, model_path, "digits", 0.7)
    assert not store.get("digits", 3).available  # corrupt file: failed, kept with its reason
    assert "could not be loaded" in store.get("digits", 3).error
    assert store.latest("digits").version == 2
    assert store.get("digits", 1).summary["version"] == "v1-build"


def test_single_file_is_version_one(model_path):
    store = load_store(None, model_path, "digits", 0.7)
    assert list(store.models) == ["digits"] and store.latest("digits").version == 1


@pytest.mark.parametrize("name, version", [("digits", 9), ("nope", None), ("nope", 1)])
def test_unknown_name_or_version_raises(model_store, model_path, name, version):
    with pytest.raises(UnknownModelError, match="nope|9"):
        load_store(model_store, model_path, "digits", 0.7).get(name, version)


@pytest.mark.parametrize("text", ["-1", "1.5", "two", " 1", "1e3", True])
def test_bad_versions_are_refused(text):
    with pytest.raises(BadVersionError, match="non-negative integer"):
        parse_version(text)


def test_predict_names_the_version_that_answered(store_client, seven_png):
    for query, expected in [("", 2), ("?version=1", 1), ("?version=2", 2)]:
        response = store_client.post("/api/v1/predict" + query, data=seven_png, content_type="image/png")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["digit"] == 7
        assert body["model"]["store_name"] == "digits" and body["model"]["store_version"] == expected
        assert body["model"]["version"] == f"v{expected}-build"


@pytest.mark.parametrize("query, status, code", [
    ("?version=9", 404, "unknown_version"), ("?version=x", 400, "bad_version"),
    ("?version=-2", 400, "bad_version"), ("?version=3", 503, "model_unavailable")])
def test_bad_version_queries_are_4xx_json(store_client, seven_png, query, status, code):
    response = store_client.post("/api/v1/predict" + query, data=seven_png, content_type="image/png")
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_models_lists_names_versions_states_and_metrics(store_client):
    body = store_client.get("/api/v1/models").get_json()
    assert body["default_model"] == "digits"
    digits = next(m for m in body["models"] if m["name"] == "digits")
    assert digits["default_version"] == 2
    states = {v["version"]: (v["state"], v["default"]) for v in digits["versions"]}
    assert states == {1: ("AVAILABLE", False), 2: ("AVAILABLE", True), 3: ("FAILED", False)}
    assert digits["versions"][0]["metrics"]["test_accuracy"] > 0.9


def test_rescan_picks_up_a_new_version(model_store, model_path, seven_png, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(model_store, store)
    app = build_app(make_config(model_path, MODEL_STORE=str(store)))
    with app.app_context():
        assert get_state().version == 2
    (store / "digits" / "5").mkdir()
    shutil.copy(store / "digits" / "1" / "model.pkl", store / "digits" / "5" / "model.pkl")
    reload_store(app)
    body = app.test_client().post("/api/v1/predict", data=seven_png, content_type="image/png").get_json()
    assert body["model"]["store_version"] == 5 and body["model"]["version"] == "v1-build"


def test_store_without_the_default_model_answers_503(model_store, model_path, seven_png):
    app = build_app(make_config(model_path, MODEL_STORE=str(model_store), MODEL_NAME="absent"))
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    response = client.post("/api/v1/predict", data=seven_png, content_type="image/png")
    assert response.status_code == 503
