"""The HTML pages: upload form + drawing pad (``/``) and the result page (``POST /predict``)."""

from flask import Blueprint, current_app, redirect, render_template, url_for

from digit_classifier.preprocessing import ImageError
from digit_classifier.web import imaging
from digit_classifier.web.forms import UploadForm, first_error
from digit_classifier.web.messages import friendly, human_bytes, image_error_status
from digit_classifier.web.model_state import get_state

bp = Blueprint("pages", __name__)


@bp.app_context_processor
def page_context() -> dict:
    """Values every template may use: the model card and the upload limit."""
    state = get_state()
    return {
        "model_info": state.predictor.info if state.predictor is not None else None,
        "report_url": current_app.config.get("REPORT_URL"),
        "upload_limit": human_bytes(int(current_app.config["MAX_CONTENT_LENGTH"])),
    }


@bp.app_template_filter("percent")
def percent(value, digits: int = 1) -> str:
    """``0.9812`` -> ``"98.1 %"``; a dash for a missing value."""
    if not isinstance(value, (int, float)):
        return "–"
    return f"{100.0 * value:.{digits}f} %"


def render_upload_page(error_code: str | None = None, error: str | None = None, status: int = 200):
    """The start page with a fresh form and, optionally, an error message.

    ``error_code`` picks a text from ``messages.FRIENDLY``; ``error`` is used as is.
    The fresh form never reads the request (it may be the one that was too large).
    """
    if error_code is not None:
        error = friendly(error_code, limit=human_bytes(int(current_app.config["MAX_CONTENT_LENGTH"])))
    return render_template("index.html", form=UploadForm(formdata=None), error=error), status


@bp.get("/")
def index():
    """The upload form and the drawing pad."""
    return render_upload_page()


@bp.get("/predict")
def predict_get():
    """A reload or bookmark of the result page: back to the form."""
    return redirect(url_for("pages.index"))


@bp.post("/predict")
def predict():
    """Recognise the uploaded (or drawn) image and show the result page."""
    state = get_state()
    if state.predictor is None:
        return render_upload_page(error_code="model_unavailable", status=503)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_upload_page(error=first_error(form), status=400)
    upload = form.image.data
    upload.stream.seek(0)
    raw = upload.read()
    try:
        prediction = state.predictor.predict(raw)
    except ImageError as exc:
        return render_upload_page(error_code=exc.code, status=image_error_status(exc))
    current_app.logger.debug("Predicted %d (p=%.3f) for %r", prediction.digit, prediction.probability, upload.filename)
    return render_template(
        "result.html",
        prediction=prediction,
        filename=upload.filename,
        preview_url=imaging.preview_data_url(raw),
        input28_url=imaging.data_url(imaging.image28_png(prediction.image28)),
        threshold=float(current_app.config["CONFIDENCE_THRESHOLD"]),
    )
