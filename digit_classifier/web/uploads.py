"""Getting image bytes out of requests, in memory only (uploads never touch the disk).

The JSON API takes an image three ways: multipart field ``image``, a raw body
with an ``image/*`` Content-Type, or JSON ``{"image": "<base64 or data: URL>"}``.
"""

import base64
import binascii
from io import BytesIO

from flask import Flask, Request

from digit_classifier.web.errors import ApiError


class InMemoryRequest(Request):
    """A Request whose multipart file parts are buffered in memory.

    Werkzeug spools parts over 500 KiB to a temporary file by default; the
    request size is already capped by MAX_CONTENT_LENGTH, so memory is safe.
    """

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return BytesIO()


def init_app(app: Flask) -> None:
    """Make every request of ``app`` an InMemoryRequest."""
    app.request_class = InMemoryRequest


def decode_base64_image(text: object) -> bytes:
    """Decode base64 text, optionally a ``data:<type>;base64,`` URL, to bytes.

    Raises ApiError 400 ``bad_base64`` when ``text`` is not a string or not base64.
    """
    if not isinstance(text, str):
        raise ApiError(400, "bad_base64", f"'image' must be a base64 string, got {type(text).__name__}.")
    if text.startswith("data:"):
        header, comma, text = text.partition(",")
        if not comma or not header.endswith(";base64"):
            raise ApiError(400, "bad_base64", "A data: URL must look like 'data:image/png;base64,<data>'.")
    cleaned = "".join(text.split())
    cleaned += "=" * (-len(cleaned) % 4)  # tolerate stripped padding
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "bad_base64", f"'image' is not valid base64: {exc}.") from exc


def _from_json(request: Request) -> bytes:
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # json's C decoder raises it for deep nesting; silent= does not catch it
        raise ApiError(400, "bad_json", "The JSON body is nested too deeply.") from None
    except MemoryError:
        raise ApiError(413, "payload_too_large", "The JSON body is too large to parse.") from None
    if payload is None:
        raise ApiError(400, "bad_json", "The request body is not valid JSON.")
    if not isinstance(payload, dict) or "image" not in payload:
        raise ApiError(400, "missing_field", 'The JSON body must be an object with an "image" field.')
    return decode_base64_image(payload["image"])


def _from_multipart(request: Request) -> bytes:
    upload = request.files.get("image")
    if upload is None:
        raise ApiError(400, "missing_field", "The multipart request has no file field named 'image'.")
    return upload.read()


def image_bytes_from_request(request: Request) -> bytes:
    """Return the image bytes of a POST to /api/v1/predict (possibly empty).

    Raises ApiError 400 (missing field, bad JSON/base64) or 415 (other content types).
    """
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        return _from_multipart(request)
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return _from_json(request)
    if mimetype.startswith("image/"):
        return request.get_data(cache=False)
    if not mimetype and not request.content_length:
        raise ApiError(400, "missing_field", "No image: send multipart field 'image', an image/* body or JSON.")
    raise ApiError(
        415,
        "unsupported_media_type",
        f"Content-Type {mimetype or '(none)'!r} is not accepted: use multipart/form-data "
        "(field 'image'), an image/* body, or application/json.",
    )
