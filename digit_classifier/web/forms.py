"""The upload form of the HTML page (Flask-WTF, CSRF-protected)."""

from flask import current_app
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import SubmitField

from digit_classifier.preprocessing.loading import FORMAT_NAMES
from digit_classifier.web.messages import human_bytes

#: File extensions accepted by the page (compared lower-cased by FileAllowed).
#: Scanners save TIFF, iPhones HEIC, newer phones and browsers AVIF.
ALLOWED_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff", "avif", "heic", "heif")


class ConfiguredFileSize:
    """FileSize with the limit read from ``MAX_CONTENT_LENGTH`` at validation time (bytes)."""

    def __call__(self, form, field):
        limit = int(current_app.config["MAX_CONTENT_LENGTH"])
        message = f"The file must hold between 1 byte and {human_bytes(limit)}."
        FileSize(max_size=limit, min_size=1, message=message)(form, field)


class UploadForm(FlaskForm):
    """One image file, field name ``image`` (the same name the JSON API uses)."""

    image = FileField(
        "Image of a handwritten digit",
        validators=[
            FileRequired(message="Choose an image file first."),
            FileAllowed(
                ALLOWED_EXTENSIONS,
                message=f"Only {FORMAT_NAMES} images (." + ", .".join(ALLOWED_EXTENSIONS) + ").",
            ),
            ConfiguredFileSize(),
        ],
    )
    submit = SubmitField("Recognise")


def first_error(form: UploadForm) -> str | None:
    """The first validation message of ``form``, or None."""
    for messages in form.errors.values():
        for message in messages:
            return str(message)
    return None
