"""Errors of the protocol endpoints: ``{"error": "<message>"}`` with a 4xx/5xx status, as both protocols say."""

from flask import Response, jsonify

#: Paths served by the protocol blueprints (and their 404/405s).
PROTOCOL_PREFIXES = ("/v1/", "/v2/")


def is_protocol_path(path: str) -> bool:
    """True for /v2, /v2/... and /v1/... (TF Serving and Open Inference Protocol paths)."""
    return path == "/v2" or path.startswith(PROTOCOL_PREFIXES)


def protocol_error(status: int, message: str) -> Response:
    """A ``{"error": message}`` JSON response with HTTP ``status``."""
    response = jsonify(error=message)
    response.status_code = status
    return response


class TensorError(ValueError):
    """A request tensor that does not fit the model (shape, datatype, values, size); HTTP ``status``."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status
