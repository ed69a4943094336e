"""The JSON API under /api/v1 (CSRF-exempt) and the /healthz probe."""

from flask import Blueprint, Flask, current_app, jsonify, request

from digit_classifier.preprocessing import ImageError
from digit_classifier.web import encoding
from digit_classifier.web.errors import ApiError
from digit_classifier.web.messages import image_error_status
from digit_classifier.web.model_state import get_state
from digit_classifier.web.openapi import openapi_document
from digit_classifier.web.uploads import image_bytes_from_request

bp = Blueprint("api", __name__, url_prefix="/api/v1")
health_bp = Blueprint("health", __name__)

UNAVAILABLE = "The model is not loaded; see the server log."


def _predictor():
    """The loaded Predictor; ApiError 503 when there is none."""
    predictor = get_state().predictor
    if predictor is None:
        raise ApiError(503, "model_unavailable", UNAVAILABLE)
    return predictor


def _wants_preprocessed() -> bool:
    return request.args.get("preprocessed", "").lower() in {"1", "true", "yes"}


def _image_error(exc: ImageError) -> dict:
    """The ``{"status", "code", "message"}`` object for an ImageError."""
    return {"status": image_error_status(exc), "code": exc.code, "message": str(exc)}


def prediction_json(prediction, with_preprocessed: bool) -> dict:
    """A Prediction as the API's JSON object (without the model summary)."""
    body = {
        "digit": int(prediction.digit),
        "probability": float(prediction.probability),
        "probabilities": [float(p) for p in prediction.probabilities],
        "confident": bool(prediction.confident),
        "candidate": str(prediction.candidate),
    }
    if with_preprocessed:
        body["preprocessed_png"] = encoding.image28_base64(prediction.image28)
    return body


@bp.post("/predict")
def predict():
    """One image (multipart ``image``, raw ``image/*`` body, or JSON base64) -> its prediction."""
    predictor = _predictor()
    raw = image_bytes_from_request(request)
    try:
        prediction = predictor.predict(raw)
    except ImageError as exc:
        error = _image_error(exc)
        raise ApiError(error["status"], error["code"], error["message"]) from exc
    body = prediction_json(prediction, _wants_preprocessed())
    body["model"] = get_state().summary
    return jsonify(body)


@bp.post("/predict/batch")
def predict_batch():
    """Several images (multipart field ``images``, repeated) -> results in the same order."""
    predictor = _predictor()
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "Send the images as multipart/form-data, field 'images'.")
    uploads = request.files.getlist("images")
    if not uploads:
        raise ApiError(400, "missing_field", "The multipart request has no file field named 'images'.")
    limit = int(current_app.config["BATCH_MAX_IMAGES"])
    if len(uploads) > limit:
        raise ApiError(400, "too_many_images", f"{len(uploads)} images sent; at most {limit} per request.")
    outcomes = predictor.predict_many([upload.read() for upload in uploads])
    with_png = _wants_preprocessed()
    results = []
    for index, (upload, outcome) in enumerate(zip(uploads, outcomes)):
        item = {"index": index, "filename": upload.filename or None}
        if isinstance(outcome, ImageError):
            item["error"] = _image_error(outcome)
        else:
            item.update(prediction_json(outcome, with_png))
        results.append(item)
    return jsonify(results=results, model=get_state().summary)


@bp.get("/model")
def model():
    """The loaded model's metadata (``Predictor.info``)."""
    return jsonify(_predictor().info)


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@health_bp.get("/healthz")
def healthz():
    """200 ``{"status": "ok"}`` with a model loaded, else 503."""
    state = get_state()
    if state.predictor is None:
        error = ApiError(503, "model_unavailable", UNAVAILABLE).to_dict()
        return jsonify(status="unavailable", error=error), 503
    return jsonify(status="ok", model=state.summary)


def init_app(app: Flask, csrf) -> None:
    """Register the API and health blueprints, exempt from CSRF (they take no cookies' authority)."""
    csrf.exempt(bp)
    csrf.exempt(health_bp)
    app.register_blueprint(bp)
    app.register_blueprint(health_bp)
