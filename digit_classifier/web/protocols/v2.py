"""Open Inference Protocol V2 REST (KServe / Triton): health, metadata and infer under /v2.

Routes: ``GET /v2``, ``/v2/health/live``, ``/v2/health/ready``, ``/v2/models/NAME[/versions/N]``,
``.../ready``, and ``POST .../infer`` with JSON tensors or the binary tensor data extension.
Errors are ``{"error": "<message>"}`` with a 4xx status (503 when the model is not loaded).
"""

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from digit_classifier import __version__
from digit_classifier.web import served
from digit_classifier.web.errors import ApiError
from digit_classifier.web.model_state import get_state, get_store
from digit_classifier.web.protocols import binary, v2_codec
from digit_classifier.web.protocols.errors import TensorError, protocol_error
from digit_classifier.web.protocols.tensors import OUTPUTS, output_tensors, predict_images, predict_rows

bp = Blueprint("v2", __name__, url_prefix="/v2")
bp.register_error_handler(ApiError, lambda exc: protocol_error(exc.status, exc.message))
bp.register_error_handler(TensorError, lambda exc: protocol_error(exc.status, str(exc)))
bp.register_error_handler(HTTPException, lambda exc: protocol_error(exc.code or 500, exc.description or exc.name))

SERVER_NAME = "digit_classifier"
PLATFORM = "numpy_mlp"


@bp.get("")
def server_metadata():
    """Server name, version and the protocol extensions it supports."""
    return jsonify(name=SERVER_NAME, version=__version__, extensions=["binary_tensor_data"])


@bp.get("/health/live")
def live():
    """200 while the process answers."""
    return jsonify(live=True)


@bp.get("/health/ready")
def ready():
    """200 when the default model is loaded, else 503."""
    is_ready = get_state().available
    return jsonify(ready=is_ready), (200 if is_ready else 503)


def _versions(name: str, version: str | None) -> list[str]:
    """The loaded versions of ``name`` as strings (just ``version`` when given); 404 if unknown."""
    if version is not None:
        return [str(served.lookup(name, version).version)]
    served.lookup(name)
    return [str(number) for number, state in get_store().models.get(name, {}).items() if state.available]


@bp.get("/models/<name>", defaults={"version": None})
@bp.get("/models/<name>/versions/<version>")
def model_metadata(name: str, version: str | None):
    """The model's versions, inputs and outputs (datatype and shape; -1 is any batch size)."""
    inputs = [{"name": n, "datatype": d, "shape": s} for n, (d, s) in v2_codec.INPUTS.items()]
    outputs = [{"name": n, "datatype": d, "shape": [-1, 10] if n == "probabilities" else [-1]}
               for n, (d, _) in OUTPUTS.items()]
    return jsonify(name=name, versions=_versions(name, version), platform=PLATFORM, inputs=inputs,
                   outputs=outputs)


@bp.get("/models/<name>/ready", defaults={"version": None})
@bp.get("/models/<name>/versions/<version>/ready")
def model_ready(name: str, version: str | None):
    """200 when that version is loaded; 404 unknown, 503 failed to load."""
    state = served.loaded(name, version)
    return jsonify(name=name, version=str(state.version), ready=True)


@bp.post("/models/<name>/infer", defaults={"version": None})
@bp.post("/models/<name>/versions/<version>/infer")
def infer(name: str, version: str | None):
    """Run the model on one input tensor; answer the requested outputs (JSON or binary)."""
    state = served.loaded(name, version)
    header, rest = binary.split_body(request.get_data(cache=False), request.headers.get(binary.HEADER))
    tensor = v2_codec.read_input(header, rest, int(current_app.config["BATCH_MAX_IMAGES"]))
    outputs = v2_codec.requested_outputs(header)
    if tensor.images is not None:
        probabilities = predict_images(state.predictor, tensor.images)
    else:
        probabilities = predict_rows(state.predictor, tensor.rows)
    head = {"model_name": name, "model_version": str(state.version)}
    if isinstance(header.get("id"), str):
        head["id"] = header["id"]
    body, chunks = v2_codec.answer(output_tensors(probabilities), outputs, head)
    if not chunks:
        return jsonify(body)
    data, header_length = binary.binary_body(body, chunks)
    response = Response(data, mimetype="application/octet-stream")
    response.headers[binary.HEADER] = str(header_length)
    return response
