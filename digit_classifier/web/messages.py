"""Friendly, human-facing texts for every input error the app can report."""

from digit_classifier.preprocessing import ImageError
from digit_classifier.preprocessing.loading import FORMAT_NAMES

#: ImageError.code (and the app's own codes) -> message shown on the HTML page.
FRIENDLY: dict[str, str] = {
    "not_an_image": f"That file is not an image we can read. Try a {FORMAT_NAMES} file.",
    "empty": "That file is empty. Choose an image of a handwritten digit.",
    "too_small": "That image is too small to read a digit from. Try a larger picture.",
    "too_large": "That image is too large. Please upload a smaller one.",
    "no_ink": "We could not find a digit in that image. Write a single digit with a dark, thick stroke.",
    "payload_too_large": "That file is too large: the limit is {limit}.",
    "csrf": "Your form session expired or was invalid. Please try again.",
    "model_unavailable": "The recognition model is not available right now. Please try again later.",
}

#: HTTP status per ImageError code (dimension limits count as "too large", like the byte limit).
IMAGE_ERROR_STATUS: dict[str, int] = {"too_large": 413}


def image_error_status(error: ImageError) -> int:
    """HTTP status for an ImageError: 413 for ``too_large``, else 400."""
    return IMAGE_ERROR_STATUS.get(getattr(error, "code", ""), 400)


def friendly(code: str, **values: object) -> str:
    """The page text for ``code`` with ``values`` filled in; a generic text for unknown codes."""
    return FRIENDLY.get(code, "Something was wrong with that image. Please try another one.").format(**values)


def human_bytes(n: int) -> str:
    """``n`` bytes as a short human text, e.g. ``1 MiB`` or ``512 KiB``."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"
