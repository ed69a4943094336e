"""Evaluation: metrics of a model on a labelled set (accuracy, per class, confusion, ECE, NLL)."""

from __future__ import annotations

import numpy as np

from digit_classifier.nn import MLP, softmax
from digit_classifier.training.calibration import expected_calibration_error, nll

N_CLASSES = 10


def evaluate(model: MLP, X: np.ndarray, y: np.ndarray, temperature: float = 1.0) -> dict:
    """Metrics of ``model`` on prepared inputs X (n, 784) float32 and labels y (n,) int.

    Returns accuracy (float), per_class_accuracy (10 floats: recall of each true digit),
    confusion_matrix (10x10 ints, rows = true digit, columns = predicted), ece_before and
    nll_before at T = 1, and ece_after and nll_after at ``temperature`` (the names of the
    table in docs/training.md: "before"/"after" temperature scaling).
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
        "ece_before": expected_calibration_error(softmax(logits), y),
        "ece_after": expected_calibration_error(softmax(logits, temperature), y),
        "nll_before": nll(logits, y),
        "nll_after": nll(logits, y, temperature),
    }


def as_test_metrics(metrics: dict) -> dict:
    """``evaluate``'s output on the test set under the model file's names: ``accuracy``
    becomes ``test_accuracy`` (next to the file's ``val_accuracy``); the other keys stay."""
    rest = {key: value for key, value in metrics.items() if key != "accuracy"}
    return {"test_accuracy": metrics["accuracy"], **rest}
