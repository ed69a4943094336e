"""Evaluation and packaging: metrics of a model on a labelled set, and the model-file dict."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import numpy as np

from digit_classifier import __version__
from digit_classifier.calibration import expected_calibration_error, nll, softmax
from digit_classifier.nn import MLP
from digit_classifier.preprocessing import PreprocessConfig
from digit_classifier.train_config import TrainConfig, profile_name

if TYPE_CHECKING:  # only for annotations: training imports this module
    from digit_classifier.training import TrainResult

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


def library_versions() -> dict:
    """Versions of the libraries a model file was made with."""
    import PIL

    return {"numpy": np.__version__, "python": platform.python_version(),
            "pillow": PIL.__version__, "digit_classifier": __version__}


def build_model_dict(result: TrainResult, config: TrainConfig, preprocess: PreprocessConfig,
                     data, test_metrics: dict, *, profile: str | None = None) -> dict:
    """The model dict of the model-file contract, ready for ``model_io.save_model``.

    test_metrics -- ``evaluate`` on the test set with ``result.temperature`` (done once).
    """
    from digit_classifier.model_io import FORMAT_VERSION

    created = datetime.now(timezone.utc).replace(microsecond=0)
    profile = profile or profile_name(config)
    net = result.model.to_dict()
    val = result.val_metrics
    metrics = {
        "test_accuracy": test_metrics["accuracy"],
        "val_accuracy": val["accuracy"],
        "per_class_accuracy": list(test_metrics["per_class_accuracy"]),
        "confusion_matrix": [list(r) for r in test_metrics["confusion_matrix"]],
        "ece_before": test_metrics.get("ece_uncalibrated"),
        "ece_after": test_metrics["ece"],
        "test_nll": test_metrics["nll"],
        "val_ece_before": val["ece_before"], "val_ece_after": val["ece_after"],
        "train_seconds": result.seconds,
        "selected_epoch": val.get("selected_epoch"), "selected_weights": val.get("selected_weights"),
        "history": [s.to_dict() for s in result.history],
    }
    return {
        "format_version": FORMAT_VERSION,
        "name": "digit-classifier-mlp",
        "version": f"{__version__}+{profile}.{created:%Y%m%dT%H%M%SZ}",
        "layer_sizes": net["layer_sizes"], "activation": net["activation"],
        "weights": net["weights"], "biases": net["biases"],
        "temperature": float(result.temperature),
        "preprocessing": preprocess.to_dict(),
        "train_config": config.to_dict(),
        "metrics": metrics,
        "data_checksums": dict(getattr(data, "checksums", {}) or {}),
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "library_versions": library_versions(),
    }
