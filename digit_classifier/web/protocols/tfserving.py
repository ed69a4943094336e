"""TensorFlow Serving REST API v1 under /v1/models: version status, metadata and predict.

``POST /v1/models/NAME[/versions/N]:predict`` takes the row form ``{"instances": [...]}``
(answer ``{"predictions": [...]}``) or the columnar form ``{"inputs": ...}`` (answer
``{"outputs": {...}}``). An instance is an image file ``{"b64": "..."}`` (or
``{"image": {"b64": "..."}}``), or a 784 / 28x28 array in MNIST form (or ``{"input": ...}``).
Errors are ``{"error": "<message>"}`` with a 4xx status.
"""

import json

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from digit_classifier.web import served
from digit_classifier.web.errors import ApiError
from digit_classifier.web.model_state import get_store
from digit_classifier.web.model_store import ModelState
from digit_classifier.web.protocols.errors import TensorError, protocol_error
from digit_classifier.web.protocols.tensors import (check_batch, decode_b64, mnist_rows, output_tensors,
                                                    predict_images, predict_rows)

bp = Blueprint("tfserving", __name__, url_prefix="/v1/models")
bp.register_error_handler(ApiError, lambda exc: protocol_error(exc.status, exc.message))
bp.register_error_handler(TensorError, lambda exc: protocol_error(exc.status, str(exc)))
bp.register_error_handler(HTTPException, lambda exc: protocol_error(exc.code or 500, exc.description or exc.name))

SIGNATURE = "serving_default"


def _status(state: ModelState) -> dict:
    """One ``model_version_status`` entry (a version that failed to load is ``END`` with its error)."""
    if state.available:
        return {"version": str(state.version), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
    return {"version": str(state.version), "state": "END",
            "status": {"error_code": "UNKNOWN", "error_message": "the model file could not be loaded"}}


@bp.get("/<name>", defaults={"version": None})
@bp.get("/<name>/versions/<version>")
def version_status(name: str, version: str | None):
    """``{"model_version_status": [...]}``: every version of ``name`` (newest first), or just ``version``."""
    state = served.lookup(name, version)
    states = [state] if version is not None else list(get_store().models.get(name, {1: state}).values())[::-1]
    return jsonify(model_version_status=[_status(s) for s in states])


def _tensor_info(dtype: str, dims: list[int]) -> dict:
    return {"dtype": dtype, "tensor_shape": {"dim": [{"size": str(d), "name": ""} for d in dims]}, "name": ""}


@bp.get("/<name>/metadata", defaults={"version": None})
@bp.get("/<name>/versions/<version>/metadata")
def metadata(name: str, version: str | None):
    """The ``serving_default`` signature: inputs ``image`` (DT_STRING) or ``input``; three outputs."""
    state = served.lookup(name, version)
    signature = {
        "inputs": {"image": _tensor_info("DT_STRING", [-1]), "input": _tensor_info("DT_FLOAT", [-1, 784])},
        "outputs": {"probabilities": _tensor_info("DT_FLOAT", [-1, 10]), "digit": _tensor_info("DT_INT64", [-1]),
                    "probability": _tensor_info("DT_FLOAT", [-1])},
        "method_name": "tensorflow/serving/predict",
    }
    return jsonify(model_spec={"name": name, "signature_name": "", "version": str(state.version)},
                   metadata={"signature_def": {"signature_def": {SIGNATURE: signature}}})


def _payload() -> tuple[list, bool]:
    """``(instances, columnar?)`` of the request body; TensorError 400 when malformed."""
    try:
        payload = json.loads(request.get_data(cache=False))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TensorError(f"the request body is not valid JSON ({exc})") from exc
    if not isinstance(payload, dict) or ("instances" in payload) == ("inputs" in payload):
        raise TensorError('the request must be a JSON object with either "instances" or "inputs"')
    if "instances" in payload:
        items = payload["instances"]
        if not isinstance(items, list):
            raise TensorError('"instances" must be a list')
        return items, False
    items = payload["inputs"]
    if isinstance(items, dict) and "b64" not in items:
        if len(items) != 1 or next(iter(items)) not in {"image", "input"}:
            raise TensorError('named "inputs" must be exactly one of "image" or "input"')
        items = next(iter(items.values()))
    return (items if isinstance(items, list) else [items]), True


def _instance(item, index: int) -> tuple[str, object]:
    """``("image", bytes)`` or ``("input", array-like)`` of one instance."""
    if isinstance(item, dict) and len(item) == 1 and isinstance(item.get("image"), dict):
        item = item["image"]
    if isinstance(item, dict) and len(item) == 1 and "input" in item:
        item = item["input"]
    if isinstance(item, dict) and set(item) == {"b64"}:
        return "image", decode_b64(item["b64"], f"instance {index}")
    if isinstance(item, list):
        return "input", item
    raise TensorError(f'instance {index}: expected {{"b64": "..."}} or a 784 / 28x28 array of floats in [0, 1]')


def _probabilities(state: ModelState, items: list):
    check_batch(len(items), int(current_app.config["BATCH_MAX_IMAGES"]))
    decoded = [_instance(item, index) for index, item in enumerate(items)]
    kinds = {kind for kind, _ in decoded}
    if len(kinds) > 1:
        raise TensorError("instances mix images and arrays: send one kind per request")
    values = [value for _, value in decoded]
    if kinds == {"image"}:
        return predict_images(state.predictor, values)
    return predict_rows(state.predictor, mnist_rows(values, "instances"))


@bp.post("/<name>:predict", defaults={"version": None})
@bp.post("/<name>/versions/<version>:predict")
def predict(name: str, version: str | None):
    """Predict each instance: ``{"predictions": [...]}`` (row form) or ``{"outputs": {...}}`` (columnar)."""
    state = served.loaded(name, version)
    items, columnar = _payload()
    tensors = output_tensors(_probabilities(state, items))
    if columnar:
        return jsonify(outputs={key: value.tolist() for key, value in tensors.items()})
    rows = [{"digit": int(d), "probability": float(p), "probabilities": ps}
            for d, p, ps in zip(tensors["digit"], tensors["probability"], tensors["probabilities"].tolist())]
    return jsonify(predictions=rows)
