"""The OpenAPI 3.1 document of the JSON API, served at /api/v1/openapi.json.

tests/web/test_openapi.py keeps it true: every API route is documented with its
methods, and every JSON body the tests receive validates against it.
"""

import copy

from digit_classifier import __version__
from digit_classifier.web import openapi_protocols


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    texts = {
        400: "Bad input: missing field, bad JSON or base64, not an image, empty, too small, no ink, "
        "too many images",
        404: "Unknown model version (?version=N)",
        405: "Method not allowed",
        413: "Request over the upload limit, or image dimensions too large",
        415: "Content-Type not accepted",
        500: "Unexpected error (logged; should not happen)",
        503: "No model loaded",
    }
    responses = {str(status): _json(_ref("Error"), texts[status]) for status in statuses}
    responses["default"] = _json(_ref("Error"), "Any other error")
    return responses


_PROBABILITY = {"type": "number", "minimum": 0.0, "maximum": 1.0}
_PREDICTION_PROPERTIES = {
    "digit": {"type": "integer", "minimum": 0, "maximum": 9},
    "probability": _PROBABILITY,
    "probabilities": {"type": "array", "items": _PROBABILITY, "minItems": 10, "maxItems": 10},
    "confident": {"type": "boolean"},
    "candidate": {"type": "string", "description": "the preprocessing hypothesis read: rules, plain, filled, beside or center"},
    "preprocessed_png": {"type": "string", "description": "base64 PNG of the 28x28 model input (?preprocessed=1)"},
}
_PREDICTION_REQUIRED = ["digit", "probability", "probabilities", "confident"]
_BATCH_KEYS = {"index": {"type": "integer", "minimum": 0}, "filename": {"type": ["string", "null"]}}

SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "required": ["status", "code", "message"],
        "properties": {"status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"}},
        "additionalProperties": False,
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": _ref("ErrorDetail")},
        "additionalProperties": False,
    },
    "ModelSummary": {
        "type": ["object", "null"],
        "required": ["name", "version"],
        "properties": {
            "name": {"type": ["string", "null"]},
            "version": {"type": ["string", "integer", "null"]},
            "store_name": {"type": "string", "description": "the store's model name that answered"},
            "store_version": {"type": "integer", "description": "the store's version that answered"},
        },
    },
    "Prediction": {
        "type": "object",
        "required": [*_PREDICTION_REQUIRED, "model"],
        "properties": {**_PREDICTION_PROPERTIES, "model": _ref("ModelSummary")},
        "additionalProperties": False,
    },
    "BatchSuccess": {
        "type": "object",
        "required": ["index", "filename", *_PREDICTION_REQUIRED],
        "properties": {**_BATCH_KEYS, **_PREDICTION_PROPERTIES},
        "additionalProperties": False,
    },
    "BatchFailure": {
        "type": "object",
        "required": ["index", "filename", "error"],
        "properties": {**_BATCH_KEYS, "error": _ref("ErrorDetail")},
        "additionalProperties": False,
    },
    "BatchResponse": {
        "type": "object",
        "required": ["results", "model"],
        "properties": {
            "results": {"type": "array", "items": {"oneOf": [_ref("BatchSuccess"), _ref("BatchFailure")]}},
            "model": _ref("ModelSummary"),
        },
        "additionalProperties": False,
    },
    "ModelInfo": {
        "type": "object",
        "required": ["name", "version", "metrics"],
        "properties": {
            "name": {"type": ["string", "null"]},
            "version": {"type": ["string", "integer", "null"]},
            "architecture": {"type": ["object", "string", "null"]},
            "train_config": {"type": ["object", "null"]},
            "metrics": {"type": "object", "properties": {"test_accuracy": {"type": ["number", "null"]}}},
            "created_at": {"type": ["string", "null"]},
            "checksum": {"type": ["string", "null"]},
        },
    },
    "ModelVersion": {
        "type": "object",
        "required": ["version", "state", "default", "model", "metrics"],
        "properties": {
            "version": {"type": "integer", "minimum": 0},
            "state": {"type": "string", "enum": ["AVAILABLE", "FAILED"]},
            "default": {"type": "boolean"},
            "model": {"type": ["object", "null"]},
            "metrics": {"type": ["object", "null"]},
        },
        "additionalProperties": False,
    },
    "ModelList": {
        "type": "object",
        "required": ["default_model", "models"],
        "properties": {
            "default_model": {"type": "string"},
            "models": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "default_version", "versions"],
                "properties": {
                    "name": {"type": "string"},
                    "default_version": {"type": ["integer", "null"]},
                    "versions": {"type": "array", "items": _ref("ModelVersion")},
                },
                "additionalProperties": False,
            }},
        },
        "additionalProperties": False,
    },
    "Health": {
        "type": "object",
        "required": ["status", "model"],
        "properties": {"status": {"const": "ok"}, "model": _ref("ModelSummary")},
        "additionalProperties": False,
    },
    "HealthUnavailable": {
        "type": "object",
        "required": ["status", "error"],
        "properties": {"status": {"const": "unavailable"}, "error": _ref("ErrorDetail")},
        "additionalProperties": False,
    },
}

_PREPROCESSED = {
    "name": "preprocessed",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": ["0", "1", "true", "false", "yes"]},
    "description": "1 adds `preprocessed_png`: the 28x28 model input as base64 PNG",
}
_BINARY = {"type": "string", "format": "binary"}
_VERSION = {
    "name": "version",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0},
    "description": "the store version of the default model that should answer (default: the highest loaded)",
}

PATHS = {
    "/api/v1/predict": {
        "post": {
            "summary": "Recognise the digit in one image",
            "parameters": [_PREPROCESSED, _VERSION],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {"schema": {"type": "object", "properties": {"image": _BINARY}}},
                    "image/*": {"schema": _BINARY},
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["image"],
                            "properties": {"image": {"type": "string", "description": "base64, or a data: URL"}},
                        }
                    },
                },
            },
            "responses": {"200": _json(_ref("Prediction"), "The prediction"),
                          **_errors(400, 404, 405, 413, 415, 500, 503)},
        }
    },
    "/api/v1/predict/batch": {
        "post": {
            "summary": "Recognise several images; results in request order, each with a result or an error",
            "parameters": [_PREPROCESSED, _VERSION],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {"type": "object", "properties": {"images": {"type": "array", "items": _BINARY}}}
                    }
                },
            },
            "responses": {"200": _json(_ref("BatchResponse"), "One result per image"),
                          **_errors(400, 404, 405, 413, 415, 500, 503)},
        }
    },
    "/api/v1/model": {
        "get": {
            "summary": "Metadata of the loaded model",
            "parameters": [_VERSION],
            "responses": {"200": _json(_ref("ModelInfo"), "Model metadata"), **_errors(400, 404, 405, 500, 503)},
        }
    },
    "/api/v1/models": {
        "get": {
            "summary": "Every model name and version in the store, with its state and metrics",
            "responses": {"200": _json(_ref("ModelList"), "The store"), **_errors(405, 500)},
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]}, "OpenAPI 3.1"),
                          **_errors(405, 500)},
        }
    },
    "/healthz": {
        "get": {
            "summary": "Liveness/readiness probe",
            "responses": {
                "200": _json(_ref("Health"), "A model is loaded"),
                "503": _json(_ref("HealthUnavailable"), "No model loaded"),
                **{k: v for k, v in _errors(405, 500).items()},
            },
        }
    },
}


def openapi_document() -> dict:
    """A fresh copy of the OpenAPI document (callers may modify it)."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "digit_classifier API",
                "version": __version__,
                "description": "Handwritten-digit recognition. Errors are always "
                '`{"error": {"status", "code", "message"}}`.',
            },
            "paths": {**PATHS, **openapi_protocols.PATHS},
            "components": {"schemas": {**SCHEMAS, **openapi_protocols.SCHEMAS}},
        }
    )
