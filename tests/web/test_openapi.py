"""The OpenAPI document stays true to the app; the schema checker itself can fail."""

import re

import pytest

from digit_classifier.web.protocols.errors import is_protocol_path

from digit_classifier.web.openapi import openapi_document
from tests.support.schema import KNOWN, errors

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.rule == "/healthz" or is_protocol_path(rule.rule):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)  # Flask <name> -> OpenAPI {name}
            routes.setdefault(path, set()).update(set(rule.methods) - IGNORED_METHODS)
    return routes


def test_every_api_route_is_documented_with_its_methods(app):
    documented = {path: {m.upper() for m in ops} for path, ops in openapi_document()["paths"].items()}
    assert api_routes(app) == documented


def test_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json() == openapi_document()
    assert response.get_json()["openapi"].startswith("3.")


def _schemas(node):
    if isinstance(node, dict):
        if "type" in node or "$ref" in node or "oneOf" in node or "const" in node:
            yield node
        for value in node.values():
            yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_document_uses_only_the_checked_keywords():
    document = openapi_document()
    for schema in _schemas(document["components"]):
        assert set(schema) <= KNOWN, schema


@pytest.mark.parametrize("body", [
    {"digit": 7, "probability": 0.9, "probabilities": [0.1] * 9, "confident": True, "model": None},
    {"digit": 12, "probability": 0.9, "probabilities": [0.1] * 10, "confident": True, "model": None},
    {"digit": 7, "probability": 0.9, "probabilities": [0.1] * 10, "confident": "yes", "model": None},
    {"digit": 7, "probability": 0.9, "probabilities": [0.1] * 10, "confident": True},
    {"digit": 7, "probability": 0.9, "probabilities": [0.1] * 10, "confident": True, "model": None, "x": 1},
    {"digit": True, "probability": 0.9, "probabilities": [0.1] * 10, "confident": True, "model": None},
])
def test_checker_rejects_wrong_bodies(body):
    document = openapi_document()
    assert errors(body, {"$ref": "#/components/schemas/Prediction"}, document)


def test_checker_accepts_a_right_body_and_checks_oneof():
    document = openapi_document()
    good = {"digit": 7, "probability": 0.9, "probabilities": [0.1] * 10, "confident": True,
            "model": {"name": "m", "version": "1"}}
    assert errors(good, {"$ref": "#/components/schemas/Prediction"}, document) == []
    batch = {"results": [{"index": 0, "filename": "a.png", "error": {"status": 400, "code": "x", "message": "y"}},
                         {"index": 1, "filename": None, "digit": 3}], "model": None}
    assert errors(batch, {"$ref": "#/components/schemas/BatchResponse"}, document)
