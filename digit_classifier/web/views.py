"""The HTML pages: upload form + drawing pad (``/``), the result page (``POST /predict``) and
the model report (``/report/``, the static files of ``REPORT_DIR`` when it is set)."""

from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_from_directory, url_for

from digit_classifier.preprocessing import ImageError
from digit_classifier.preprocessing.loading import load_image
from digit_classifier.web import encoding
from digit_classifier.web.forms import UploadForm, first_error
from digit_classifier.web.messages import friendly, human_bytes, image_error_status
from digit_classifier.web.model_state import get_state, get_store, resolve
from digit_classifier.web.model_store import parse_version

bp = Blueprint("pages", __name__)

REPORT_FILE = "report.html"
#: The report is static and script-free; its single inline <style> is all it needs.
REPORT_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
              "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def page_state():
    """The ModelState a page serves: ``?version=N`` of the default model, else its default version.

    Raises ValueError (BadVersionError, UnknownModelError) for a version the store lacks.
    """
    return resolve(None, parse_version(request.args.get("version")))


def _version_choices() -> list[int]:
    store = get_store()
    versions = store.models.get(store.default_name, {})
    return [number for number, state in versions.items() if state.available]


@bp.app_context_processor
def page_context() -> dict:
    """Values every template may use: the model card, the version picker and the upload limit."""
    try:
        state = page_state()
    except ValueError:
        state = get_state()
    return {
        "model_info": state.predictor.info if state.predictor is not None else None,
        "served": state,
        "version_choices": _version_choices(),
        "default_version": get_state().version,
        "report_url": report_url(),
        "upload_limit": human_bytes(int(current_app.config["MAX_CONTENT_LENGTH"])),
    }


def report_dir() -> str | None:
    """``REPORT_DIR`` when it is set and holds report.html (checked now: a report may appear later)."""
    folder = current_app.config.get("REPORT_DIR")
    return folder if folder and (Path(folder) / REPORT_FILE).is_file() else None


def report_url() -> str | None:
    """The model card's report link: ``REPORT_URL`` if set, else ``/report/`` when the app serves one."""
    return current_app.config.get("REPORT_URL") or (url_for("pages.report") if report_dir() else None)


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
    try:
        state = page_state()
    except ValueError as exc:
        return render_upload_page(error=str(exc), status=404)
    if state.predictor is None:
        return render_upload_page(error_code="model_unavailable", status=503)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_upload_page(error=first_error(form), status=400)
    upload = form.image.data
    upload.stream.seek(0)
    raw = upload.read()
    config = state.predictor.preprocess_config
    try:  # decoded once: the prediction and the preview both start from this picture
        picture = load_image(raw, max_pixels=config.max_pixels, min_side=config.min_side,
                             draft_size=config.work_size)
        prediction = state.predictor.predict(picture)
    except ImageError as exc:
        return render_upload_page(error_code=exc.code, status=image_error_status(exc))
    current_app.logger.debug("Predicted %d (p=%.3f) for %r", prediction.digit, prediction.probability, upload.filename)
    return render_template(
        "result.html",
        prediction=prediction,
        filename=upload.filename,
        preview_url=encoding.preview_data_url(picture),
        input28_url=encoding.data_url(encoding.image28_png(prediction.image28)),
        threshold=float(current_app.config["CONFIDENCE_THRESHOLD"]),
    )


@bp.get("/report/")
def report():
    """The model report page (report.html of REPORT_DIR)."""
    return report_file(REPORT_FILE)


@bp.get("/report/<path:filename>")
def report_file(filename: str):
    """A file of the model report; send_from_directory answers 404 for anything outside REPORT_DIR."""
    folder = report_dir()
    if folder is None:
        abort(404)
    response = send_from_directory(folder, filename)
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response
