"""Turn images into digit predictions with a trained model: the one entry point for CLI and web."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from digit_classifier import model_io
from digit_classifier.util.jsonsafe import json_safe
from digit_classifier.config import DEFAULT_CONFIDENCE_THRESHOLD
from digit_classifier.nn import MLP
from digit_classifier.preprocessing import ImageError, PreprocessConfig, preprocess_image



@dataclass(frozen=True)
class Prediction:
    """One image's answer.

    ``probabilities`` are the 10 calibrated class probabilities (they sum to 1);
    ``image28`` is the ``(28, 28)`` float32 input in [0, 1] the model saw.
    """

    digit: int
    probability: float
    probabilities: list[float]
    confident: bool
    image28: np.ndarray

    def to_json(self) -> dict[str, Any]:
        """The API's JSON object: digit (int), probability (float), probabilities (10 floats),
        confident (bool); everything but the image, as plain Python types."""
        return {
            "digit": int(self.digit),
            "probability": float(self.probability),
            "probabilities": [float(p) for p in self.probabilities],
            "confident": bool(self.confident),
        }


class Predictor:
    """A loaded model plus the preprocessing it was trained with."""

    def __init__(self, model: dict, confidence_threshold: float = DEFAULT_CONFIDENCE_THRESHOLD,
                 checksum: str | None = None):
        if not 0.0 <= confidence_threshold <= 1.0:
            raise ValueError(f"confidence_threshold must be in [0, 1], got {confidence_threshold!r}")
        self.model = model
        self.network = MLP.from_dict(model)
        self.temperature = float(model.get("temperature", 1.0))
        self.preprocess_config = PreprocessConfig.from_dict(model.get("preprocessing") or {})
        self.confidence_threshold = confidence_threshold
        self.checksum = checksum
        _ = self.info  # computed once, now: metadata the pages show fails at load, not per request

    @classmethod
    def from_file(cls, path: str | os.PathLike,
                  confidence_threshold: float = DEFAULT_CONFIDENCE_THRESHOLD) -> "Predictor":
        """Load a model file through the restricted unpickler (raises ``ModelFileError``)."""
        path = Path(path)
        return cls(model_io.load_model(path), confidence_threshold, model_io.file_sha256(path))

    def predict(self, source) -> Prediction:
        """Predict one image (bytes, path, file object or PIL image); raises ``ImageError``."""
        return self.predict_prepared(preprocess_image(source, self.preprocess_config))

    def predict_prepared(self, x: np.ndarray) -> Prediction:
        """The Prediction for one input ``x`` (784,) float32 already in MNIST form (the
        output of ``preprocess_image``); raises ValueError for another shape or dtype."""
        return self._prediction(x, self.network.predict_proba_one(x, self.temperature))

    def predict_many(self, sources: Iterable) -> list[Prediction | ImageError]:
        """Predict several images in one forward pass; unreadable ones yield their ``ImageError``."""
        results: list[Prediction | ImageError] = []
        rows: list[np.ndarray] = []
        for source in sources:
            try:
                rows.append(preprocess_image(source, self.preprocess_config))
                results.append(None)  # placeholder, filled below in order
            except ImageError as error:
                results.append(error)
        predictions = iter(self._predictions(np.stack(rows)) if rows else [])
        return [next(predictions) if r is None else r for r in results]

    def predict_arrays(self, X: np.ndarray) -> np.ndarray:
        """Return calibrated probabilities ``(n, 10)`` for inputs ``(n, 784)`` already in MNIST form."""
        return self.network.predict_proba(np.asarray(X, dtype=np.float32), temperature=self.temperature)

    def _prediction(self, x: np.ndarray, p: np.ndarray) -> Prediction:
        """The Prediction for input row ``x`` (784,) with probabilities ``p`` (10,)."""
        probabilities = p.tolist()  # Python floats (float32 values widened exactly)
        digit = int(np.argmax(p))
        return Prediction(
            digit=digit,
            probability=probabilities[digit],
            probabilities=probabilities,
            confident=bool(p[digit] >= self.confidence_threshold),
            image28=x.reshape(28, 28),
        )

    def _predictions(self, X: np.ndarray) -> list[Prediction]:
        return [self._prediction(x, p) for x, p in zip(X, self.predict_arrays(X))]

    @cached_property
    def info(self) -> dict[str, Any]:
        """JSON-safe metadata: name, version, architecture, training config, metrics, checksum.

        Computed once (the model never changes after loading); callers must not mutate it.
        """
        m = self.model
        metrics = {k: v for k, v in (m.get("metrics") or {}).items() if k != "history"}
        return json_safe({
            "name": m.get("name"),
            "version": m.get("version"),
            "format_version": m.get("format_version"),
            "architecture": {
                "layer_sizes": list(m.get("layer_sizes", [])),
                "activation": m.get("activation"),
            },
            "temperature": self.temperature,
            "confidence_threshold": self.confidence_threshold,
            "preprocessing": m.get("preprocessing"),
            "train_config": m.get("train_config"),
            "metrics": metrics,
            "data_checksums": m.get("data_checksums"),
            "created_at": m.get("created_at"),
            "library_versions": m.get("library_versions"),
            "checksum": self.checksum,
        })

