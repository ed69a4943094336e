"""The one Predictor of a web process: loaded at app creation, looked up per request.

A missing or invalid model file does not stop the app: it starts, logs the
reason, ``/healthz`` answers 503 and prediction routes answer 503.
"""

from dataclasses import dataclass
from functools import cached_property

from flask import Flask, current_app

from digit_classifier.model_io import ModelFileError
from digit_classifier.predictor import Predictor

EXTENSION_KEY = "digit_classifier"


@dataclass(frozen=True)
class ModelState:
    """What the app knows about its model.

    ``predictor`` is None when loading failed; ``error`` then says why (for logs,
    not for clients: it may hold server paths).
    """

    predictor: Predictor | None
    error: str | None = None

    @cached_property
    def summary(self) -> dict | None:
        """``{"name", "version"}`` of the loaded model, or None.

        Computed once: every prediction answer carries it. Callers must not mutate it.
        """
        if self.predictor is None:
            return None
        info = self.predictor.info
        return {"name": info.get("name"), "version": info.get("version")}


def load_state(path: str, confidence_threshold: float) -> ModelState:
    """Load the model file at absolute ``path``; never raises for a bad or missing file.

    Everything requests read later (``Predictor.info``, ``summary``) is computed here, so
    a bad file is a 503 ``model_unavailable`` on every route, never a 500.
    """
    try:
        state = ModelState(Predictor.from_file(path, confidence_threshold=confidence_threshold))
        _ = state.summary
        return state
    except FileNotFoundError:
        return ModelState(None, f"model file not found: {path}")
    except (OSError, ModelFileError, ValueError, KeyError, TypeError) as exc:
        # KeyError/TypeError: a readable pickle whose dict lacks or mistypes a field.
        return ModelState(None, f"model file {path} could not be loaded: {type(exc).__name__}: {exc}")


def init_app(app: Flask) -> None:
    """Load the model once for this process and keep it in ``app.extensions``."""
    state = load_state(app.config["MODEL_PATH"], float(app.config["CONFIDENCE_THRESHOLD"]))
    if state.predictor is None:
        app.logger.error("Model unavailable, predictions will answer 503: %s", state.error)
    else:
        app.logger.info("Model loaded from %s: %s", app.config["MODEL_PATH"], state.summary)
    app.extensions[EXTENSION_KEY] = state


def get_state() -> ModelState:
    """The ModelState of the current app (call inside an app or request context)."""
    return current_app.extensions[EXTENSION_KEY]
