"""Which model version answers a request (name + version -> a loaded ModelState), and the store listing.

Shared by the native API and the protocol blueprints: every failure is an ApiError
(400 bad version, 404 unknown name or version, 503 not loaded), which each
blueprint renders in its own error shape.
"""

from flask import request

from digit_classifier.web.errors import ApiError
from digit_classifier.web.model_state import get_state, get_store, resolve
from digit_classifier.web.model_store import BadVersionError, ModelState, ModelStore, UnknownModelError, parse_version

UNAVAILABLE = "The model is not loaded; see the server log."


def lookup(name: str | None = None, version: str | int | None = None) -> ModelState:
    """The ModelState of ``name`` (default model if None) at ``version`` (text or int; None: default).

    Raises ApiError 400 ``bad_version``, 404 ``unknown_model`` or 404 ``unknown_version``.
    The state may lack a predictor (see ``loaded``).
    """
    try:
        return resolve(name, parse_version(version))
    except BadVersionError as exc:
        raise ApiError(400, "bad_version", str(exc)) from exc
    except UnknownModelError as exc:
        code = "unknown_version" if name is None or name in get_store().models else "unknown_model"
        raise ApiError(404, code, str(exc)) from exc


def loaded(name: str | None = None, version: str | int | None = None) -> ModelState:
    """``lookup`` that also raises ApiError 503 ``model_unavailable`` when the version failed to load."""
    state = lookup(name, version)
    if state.predictor is None:
        raise ApiError(503, "model_unavailable", UNAVAILABLE)
    return state


def requested() -> ModelState:
    """The loaded default model at ``?version=N`` of the current request (default version if absent)."""
    return loaded(None, request.args.get("version"))


def state_name(state: ModelState) -> str:
    """``"AVAILABLE"`` or ``"FAILED"``."""
    return "AVAILABLE" if state.available else "FAILED"


def version_entry(state: ModelState, default: bool) -> dict:
    """One version of the listing: number, state, default flag, model identity and metrics."""
    info = state.predictor.info if state.predictor is not None else {}
    return {
        "version": state.version,
        "state": state_name(state),
        "default": default,
        "model": {"name": info.get("name"), "version": info.get("version"),
                  "checksum": info.get("checksum"), "created_at": info.get("created_at")}
        if state.predictor is not None else None,
        "metrics": info.get("metrics") if state.predictor is not None else None,
    }


def store_listing(store: ModelStore | None = None) -> dict:
    """``{"default_model", "models": [{"name", "default_version", "versions": [...]}]}``."""
    store = store or get_store()
    models = []
    for name, versions in store.models.items():
        default = store.latest(name)
        if name == store.default_name:
            default = get_state()  # what really answers by default (it may have been swapped in)
        models.append({
            "name": name,
            "default_version": default.version if default.available else None,
            "versions": [version_entry(state, default.available and number == default.version)
                         for number, state in versions.items()],
        })
    return {"default_model": store.default_name, "models": models}
