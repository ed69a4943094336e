"""Error handling: JSON errors under /api/ (and /healthz), friendly HTML pages elsewhere.

Every API error body is ``{"error": {"status": int, "code": str, "message": str}}``;
no route under /api/ ever answers with HTML, not even for an unexpected exception.
"""

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from digit_classifier.web.protocols.errors import is_protocol_path, protocol_error
from digit_classifier.web.sessions import is_json_path
from digit_classifier.web.views import render_upload_page

#: HTTP status -> machine-readable code used when no more specific code applies.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
    503: "model_unavailable",
}


class ApiError(Exception):
    """An error the JSON API reports as ``{"error": {...}}`` with HTTP ``status``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def to_dict(self) -> dict:
        """The ``{"status", "code", "message"}`` object of the error body."""
        return {"status": self.status, "code": self.code, "message": self.message}


def json_error(status: int, code: str, message: str) -> Response:
    """A JSON error response."""
    response = jsonify(error=ApiError(status, code, message).to_dict())
    response.status_code = status
    return response


def wants_json() -> bool:
    """True when the current request belongs to the JSON side of the app."""
    return is_json_path(request.path)


def _http_error(exc: HTTPException):
    if is_protocol_path(request.path):
        return protocol_error(exc.code or 500, exc.description or exc.name)
    if wants_json():
        status = exc.code or 500
        response = json_error(status, STATUS_CODES.get(status, "http_error"), exc.description or exc.name)
        if "Allow" in exc.get_response().headers:
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response
    if isinstance(exc, CSRFError):
        return render_upload_page(error_code="csrf", status=400)
    if exc.code == 413:
        return render_upload_page(error_code="payload_too_large", status=413)
    return render_template("error.html", error=exc), exc.code


def _unexpected_error(exc: Exception):
    # Should never happen; log the traceback and never leak it to the client.
    current_app.logger.exception("Unhandled exception on %s %s", request.method, request.path)
    if is_protocol_path(request.path):
        return protocol_error(500, "An unexpected error occurred; it has been logged.")
    if wants_json():
        return json_error(500, "internal_error", "An unexpected error occurred; it has been logged.")
    return render_template("error.html", error=None), 500


def init_app(app: Flask) -> None:
    """Register the error handlers on ``app``."""
    app.register_error_handler(ApiError, lambda exc: json_error(exc.status, exc.code, exc.message))
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
