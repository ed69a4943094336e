"""Packaging: train, evaluate once on the test set, and build the model-file dict."""

from __future__ import annotations

import platform
from datetime import datetime, timezone
from typing import Callable

import numpy as np

from digit_classifier import __version__
from digit_classifier.mnist import MnistData
from digit_classifier.model_io import FORMAT_VERSION
from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist
from digit_classifier.training.config import TrainConfig, profile_name
from digit_classifier.training.evaluation import as_test_metrics, evaluate
from digit_classifier.training.loop import TrainResult, train


def preprocess_config_for(config: TrainConfig) -> PreprocessConfig:
    """Return the preprocessing a training config asks for (the default one if it names none)."""
    chosen = getattr(config, "preprocess", None)
    if isinstance(chosen, dict):
        return PreprocessConfig.from_dict(chosen)
    return chosen or PreprocessConfig()


def train_and_package(config: TrainConfig, data: MnistData, *, profile: str = "custom",
                      on_epoch: Callable | None = None,
                      on_batch: Callable | None = None) -> dict:
    """Train, evaluate once on the test set, and return the model dict ready for ``save_model``."""
    preprocess = preprocess_config_for(config)
    result = train(config, data, preprocess, rng=np.random.default_rng(config.seed),
                   on_epoch=on_epoch, on_batch=on_batch)
    X_test = prepare_mnist(data.test_images, preprocess)
    test_metrics = evaluate(result.model, X_test, data.test_labels, result.temperature)
    return build_model_dict(result, config, preprocess, data, test_metrics, profile=profile)


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
    created = datetime.now(timezone.utc).replace(microsecond=0)
    profile = profile or profile_name(config)
    net = result.model.to_dict()
    val = result.val_metrics
    test = as_test_metrics(test_metrics)
    metrics = {
        "test_accuracy": test["test_accuracy"],
        "val_accuracy": val["accuracy"],
        "per_class_accuracy": list(test["per_class_accuracy"]),
        "confusion_matrix": [list(r) for r in test["confusion_matrix"]],
        "ece_before": test["ece_before"], "ece_after": test["ece_after"],
        "nll_before": test["nll_before"], "nll_after": test["nll_after"],
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
