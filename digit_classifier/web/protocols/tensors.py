"""Tensors shared by both protocols: MNIST-form rows and image files in, the three output tensors out.

Everything goes through the Predictor: image files are preprocessed as on
/api/v1/predict, rows already in MNIST form go straight to the forward pass.
"""

import base64
import binascii

import numpy as np

from digit_classifier.predictor import Predictor
from digit_classifier.preprocessing import ImageError
from digit_classifier.web.messages import image_error_status
from digit_classifier.web.protocols.errors import TensorError

PIXELS = 784
#: Output tensor name -> (datatype, numpy dtype); order is the answer's order.
OUTPUTS = {"probabilities": ("FP32", np.float32), "digit": ("INT64", np.int64), "probability": ("FP32", np.float32)}


def check_batch(count: int, limit: int) -> None:
    """TensorError 400 unless 1 <= ``count`` <= ``limit`` (the per-request budget, BATCH_MAX_IMAGES)."""
    if count < 1:
        raise TensorError("the batch is empty: send at least one image or row")
    if count > limit:
        raise TensorError(f"batch of {count} is too large: at most {limit} per request")


def mnist_rows(values, where: str = "input") -> np.ndarray:
    """Rows already in MNIST form -> ``(n, 784)`` float32.

    ``values``: nested lists or an array of shape ``(n, 784)`` or ``(n, 28, 28)``,
    finite floats in [0, 1] (ink bright on dark). TensorError 400 otherwise.
    """
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise TensorError(f"{where}: not a rectangular array of numbers ({exc})") from exc
    if array.ndim == 3 and array.shape[1:] == (28, 28):
        array = array.reshape(len(array), PIXELS)
    if array.ndim != 2 or array.shape[1] != PIXELS:
        raise TensorError(f"{where}: shape {list(array.shape)} is not [n, 784] or [n, 28, 28]")
    if not np.all(np.isfinite(array)) or array.min(initial=0.0) < 0.0 or array.max(initial=0.0) > 1.0:
        raise TensorError(f"{where}: values must be finite numbers in [0, 1] (MNIST form)")
    return array


def decode_b64(text, where: str) -> bytes:
    """Standard base64 text -> bytes; TensorError 400 naming ``where`` otherwise."""
    if not isinstance(text, str):
        raise TensorError(f"{where}: expected a base64 string, got {type(text).__name__}")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TensorError(f"{where}: not valid base64 ({exc})") from exc


def predict_images(predictor: Predictor, images: list[bytes]) -> np.ndarray:
    """Image file bytes -> probabilities ``(n, 10)`` float32, preprocessed as /api/v1/predict does.

    One unreadable image fails the whole request (neither protocol has per-item errors):
    TensorError naming its index, with the status /api/v1/predict would give.
    """
    outcomes = predictor.predict_many(images)
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, ImageError):
            raise TensorError(f"image {index}: {outcome} ({outcome.code})", image_error_status(outcome))
    return np.array([outcome.probabilities for outcome in outcomes], dtype=np.float32)


def predict_rows(predictor: Predictor, rows: np.ndarray) -> np.ndarray:
    """Rows ``(n, 784)`` float32 in MNIST form -> probabilities ``(n, 10)`` float32."""
    return np.asarray(predictor.predict_arrays(rows), dtype=np.float32)


def output_tensors(probabilities: np.ndarray) -> dict[str, np.ndarray]:
    """``{"probabilities": (n, 10) float32, "digit": (n,) int64, "probability": (n,) float32}``."""
    digits = np.argmax(probabilities, axis=1).astype(np.int64)
    return {
        "probabilities": probabilities.astype(np.float32),
        "digit": digits,
        "probability": probabilities[np.arange(len(digits)), digits].astype(np.float32),
    }
