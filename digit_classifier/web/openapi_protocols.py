"""The OpenAPI entries of the inference protocols (JSON forms; V2's binary form is described in words)."""


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "model name (the default is `digits`)"}
_VERSION = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "store version, an integer"}
_ERRORS = {"4XX": _json(_ref("ProtocolError"), "Bad tensor, unknown model or version, too large"),
           "503": _json(_ref("ProtocolError"), "That version is not loaded")}

_TENSOR = {
    "type": "object",
    "required": ["name", "shape", "datatype"],
    "properties": {
        "name": {"type": "string", "enum": ["image", "input", "probabilities", "digit", "probability"]},
        "shape": {"type": "array", "items": {"type": "integer"}},
        "datatype": {"type": "string", "enum": ["BYTES", "FP32", "INT64"]},
        "parameters": {"type": "object", "description": "binary_data_size (binary form), binary_data (outputs)"},
        "data": {"type": "array", "description": "row-major values; BYTES elements are base64 image files"},
    },
}

SCHEMAS = {
    "ProtocolError": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}},
                      "additionalProperties": False},
    "V2Tensor": _TENSOR,
    "V2InferRequest": {
        "type": "object",
        "required": ["inputs"],
        "properties": {"id": {"type": "string"}, "parameters": {"type": "object"},
                       "inputs": {"type": "array", "items": _ref("V2Tensor"), "minItems": 1, "maxItems": 1},
                       "outputs": {"type": "array", "items": {"type": "object"}}},
    },
    "V2InferResponse": {
        "type": "object",
        "required": ["model_name", "model_version", "outputs"],
        "properties": {"model_name": {"type": "string"}, "model_version": {"type": "string"},
                       "id": {"type": "string"}, "outputs": {"type": "array", "items": _ref("V2Tensor")}},
    },
    "TfPredictRequest": {
        "type": "object",
        "properties": {"signature_name": {"type": "string"},
                       "instances": {"type": "array", "description": '{"b64": file} or 784 / 28x28 floats'},
                       "inputs": {"type": ["object", "array"], "description": "columnar form"}},
    },
    "TfPredictResponse": {
        "type": "object",
        "properties": {"predictions": {"type": "array", "items": {"type": "object"}},
                       "outputs": {"type": "object"}},
    },
}

_BINARY_NOTE = ("JSON body, or the binary tensor data extension: header `Inference-Header-Content-Length` "
                "and the raw tensors after the JSON (application/octet-stream).")


def _infer(summary: str) -> dict:
    return {"post": {"summary": summary, "description": _BINARY_NOTE,
                     "requestBody": {"required": True, "content": {
                         "application/json": {"schema": _ref("V2InferRequest")},
                         "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                     "responses": {"200": _json(_ref("V2InferResponse"), "The requested outputs"), **_ERRORS}}}


def _get(summary: str, with_version: bool = False) -> dict:
    parameters = [_NAME, _VERSION] if with_version else [_NAME]
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": _json({"type": "object"}, summary), **_ERRORS}}}


def _tf_predict(with_version: bool) -> dict:
    parameters = [_NAME, _VERSION] if with_version else [_NAME]
    return {"post": {"summary": "TF Serving predict (row or columnar form)", "parameters": parameters,
                     "requestBody": {"required": True,
                                     "content": {"application/json": {"schema": _ref("TfPredictRequest")}}},
                     "responses": {"200": _json(_ref("TfPredictResponse"), "predictions or outputs"), **_ERRORS}}}


PATHS = {
    "/v2": {"get": {"summary": "V2 server metadata", "responses": {"200": _json({"type": "object"}, "metadata")}}},
    "/v2/health/live": {"get": {"summary": "V2 liveness", "responses": {"200": _json({"type": "object"}, "live")}}},
    "/v2/health/ready": {"get": {"summary": "V2 readiness (default model loaded)",
                                 "responses": {"200": _json({"type": "object"}, "ready"), **_ERRORS}}},
    "/v2/models/{name}": _get("V2 model metadata"),
    "/v2/models/{name}/versions/{version}": _get("V2 model metadata of one version", True),
    "/v2/models/{name}/ready": _get("V2 model readiness"),
    "/v2/models/{name}/versions/{version}/ready": _get("V2 readiness of one version", True),
    "/v2/models/{name}/infer": _infer("V2 inference with the default version"),
    "/v2/models/{name}/versions/{version}/infer": _infer("V2 inference with one version"),
    "/v1/models/{name}": _get("TF Serving model version status"),
    "/v1/models/{name}/versions/{version}": _get("TF Serving status of one version", True),
    "/v1/models/{name}/metadata": _get("TF Serving signature metadata"),
    "/v1/models/{name}/versions/{version}/metadata": _get("TF Serving metadata of one version", True),
    "/v1/models/{name}:predict": _tf_predict(False),
    "/v1/models/{name}/versions/{version}:predict": _tf_predict(True),
}
