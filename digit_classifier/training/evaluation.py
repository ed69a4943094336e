"""Evaluation: metrics of a model on a labelled set (accuracy, per class, confusion, ECE, NLL)."""

from __future__ import annotations

import numpy as np

from digit_classifier.nn import MLP, softmax
from digit_classifier.training.calibration import expected_calibration_error, nll

N_CLASSES = 10


def evaluate(model: MLP, X: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> dict:
    """Metrics of ``model`` on prepared inputs X (n, 784) float32 and labels y (n,) int.

    Returns accuracy (float), per_class_accuracy (10 floats: recall of each true digit),
    confusion_matrix (10x10 ints, rows = true digit, columns = predicted), ece and nll at
    ``temperature``, and ece_uncalibrated and nll_uncalibrated at T = 1.
    """
    y = np.asarray(y).astype(np.int64)
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    logits = model.predict_logits(X).astype(np.float64)
    if logits.shape[0] != y.shape[0]:
        raise ValueError(f"{logits.shape[0]} inputs but {y.shape[0]} labels")
    pred = logits.argmax(1)
    confusion = np.zeros((N_CLASSES, N_CLASSES), dtype=np.int64)
    np.add.at(confusion, (y, pred), 1)
    support = confusion.sum(1)
    per_class = np.divide(np.diag(confusion), support, out=np.zeros(N_CLASSES), where=support > 0)
    return {
        "accuracy": float((pred == y).mean()),
        "per_class_accuracy": [float(a) for a in per_class],
        "confusion_matrix": confusion.tolist(),
        "ece": expected_calibration_error(softmax(logits, temperature), y),
        "nll": nll(logits, y, temperature),
        "ece_uncalibrated": expected_calibration_error(softmax(logits), y),
        "nll_uncalibrated": nll(logits, y),
    }
