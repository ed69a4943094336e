"""The model store of a web process: loaded at app creation, re-scanned on demand, looked up per request.

A missing or invalid model does not stop the app: it starts, logs the reason,
``/healthz`` answers 503 and prediction routes answer 503 (or 404 for an unknown
name or version). ``get_state()`` is the default model's default version.

Re-scanning: under mod_wsgi, touching the WSGI script restarts the daemon, which
loads the store again at start. ``digit-classifier serve`` re-scans on SIGHUP
(``install_reload_signal``). A re-scan builds a new store and swaps it in whole:
requests under way keep the predictor they started with.
"""

import signal

from flask import Flask, current_app

from digit_classifier.web.model_store import ModelState, ModelStore, load_store

EXTENSION_KEY = "digit_classifier"          # -> the default ModelState
STORE_KEY = "digit_classifier.model_store"  # -> the ModelStore


def _load(app: Flask) -> ModelStore:
    """Load the store (or the single MODEL_PATH) as ``app.config`` says, logging each version."""
    cfg = app.config
    store = load_store(cfg.get("MODEL_STORE"), cfg["MODEL_PATH"], cfg.get("MODEL_NAME") or "digits",
                       float(cfg["CONFIDENCE_THRESHOLD"]))
    for problem in store.problems:
        app.logger.error("Model store problem: %s", problem)
    for name, versions in store.models.items():
        for version, state in versions.items():
            if state.available:
                app.logger.info("Model loaded: %s version %d: %s", name, version, state.summary)
            else:
                app.logger.error("Model %s version %d failed to load: %s", name, version, state.error)
    return store


def _default_state(store: ModelStore) -> ModelState:
    if store.default_name in store.models:
        return store.latest(store.default_name)
    reason = "; ".join(store.problems) or f"no model {store.default_name!r}"
    return ModelState(None, reason, store.default_name)


def _install(app: Flask, store: ModelStore) -> None:
    default = _default_state(store)
    if default.predictor is None:
        app.logger.error("Model unavailable, predictions will answer 503: %s", default.error)
    app.extensions[STORE_KEY] = store
    app.extensions[EXTENSION_KEY] = default


def init_app(app: Flask) -> None:
    """Load every model version once for this process and keep the store in ``app.extensions``."""
    _install(app, _load(app))


def reload_store(app: Flask) -> ModelStore:
    """Scan and load the store again, then swap it in; returns the new store."""
    store = _load(app)
    _install(app, store)
    app.logger.info("Model store re-scanned: %s",
                    {name: sorted(versions) for name, versions in store.models.items()})
    return store


def install_reload_signal(app: Flask) -> None:
    """Re-scan the store on SIGHUP (main thread only: for ``digit-classifier serve``)."""
    signal.signal(signal.SIGHUP, lambda signum, frame: reload_store(app))


def get_state() -> ModelState:
    """The default ModelState of the current app (call inside an app or request context)."""
    return current_app.extensions[EXTENSION_KEY]


def get_store() -> ModelStore:
    """The ModelStore of the current app."""
    return current_app.extensions[STORE_KEY]


def resolve(name: str | None = None, version: int | None = None) -> ModelState:
    """The ModelState of ``name`` (default model if None) at ``version`` (default if None).

    Raises UnknownModelError (-> 404) for a name or version the store does not hold.
    """
    store = get_store()
    if (name is None or name == store.default_name) and version is None:
        return get_state()
    return store.get(name or store.default_name, version)
