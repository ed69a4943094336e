"""The versioned model store: ``STORE/NAME/VERSION/model.pkl`` loaded into one ModelState per version.

Laid out as TF Serving lays out its base path: integer version folders under a
model name. Without a store, the single model file is served as ``NAME`` version 1.
By default the highest version that loaded answers; every loaded version can be
asked for by number. Library code: it never logs; callers read ``ModelState.error``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Mapping

from digit_classifier.model_io import ModelFileError
from digit_classifier.predictor import Predictor

DEFAULT_NAME = "digits"
MODEL_FILE = "model.pkl"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
VERSION_PATTERN = re.compile(r"^[0-9]{1,18}$")


class UnknownModelError(ValueError):
    """A model name or version the store does not hold (the web answers 404)."""


class BadVersionError(ValueError):
    """A version that is not a non-negative integer (the web answers 400)."""


def parse_version(text: str | int | None) -> int | None:
    """``"3"`` -> 3; None or ``""`` -> None (the default version); BadVersionError otherwise."""
    if text is None or text == "":
        return None
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    if isinstance(text, str) and VERSION_PATTERN.match(text):
        return int(text)
    raise BadVersionError(f"model version must be a non-negative integer, got {text!r}")


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid model name (letters, digits, ``_.-``), else ValueError."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(f"model name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}")
    return name


@dataclass(frozen=True)
class ModelState:
    """One version of one model: its Predictor, or why it failed to load.

    ``predictor`` is None when loading failed; ``error`` then says why (for logs,
    not for clients: it may hold server paths). ``name``/``version`` are the store's.
    """

    predictor: Predictor | None
    error: str | None = None
    name: str = DEFAULT_NAME
    version: int = 1

    @property
    def available(self) -> bool:
        """True when this version can answer."""
        return self.predictor is not None

    @cached_property
    def summary(self) -> dict | None:
        """``{"name", "version", "store_name", "store_version"}``, or None without a model.

        ``name``/``version`` come from the model file, ``store_*`` say which store entry
        answered. Computed once: every prediction answer carries it. Do not mutate it.
        """
        if self.predictor is None:
            return None
        info = self.predictor.info
        return {"name": info.get("name"), "version": info.get("version"),
                "store_name": self.name, "store_version": self.version}


def load_state(path: str | Path, confidence_threshold: float, name: str = DEFAULT_NAME,
               version: int = 1) -> ModelState:
    """Load the model file at absolute ``path``; never raises for a bad or missing file.

    Everything requests read later (``Predictor.info``, ``summary``) is computed here, so
    a bad file is a 503 ``model_unavailable`` on every route, never a 500.
    """
    try:
        state = ModelState(Predictor.from_file(path, confidence_threshold=confidence_threshold),
                           None, name, version)
        _ = state.summary
    except FileNotFoundError:
        return ModelState(None, f"model file not found: {path}", name, version)
    except (OSError, ModelFileError, ValueError, KeyError, TypeError) as exc:
        # KeyError/TypeError: a readable pickle whose dict lacks or mistypes a field.
        return ModelState(None, f"model file {path} could not be loaded: {type(exc).__name__}: {exc}",
                          name, version)
    return state


def scan_store(root: str | Path) -> dict[str, dict[int, Path]]:
    """``{name: {version: path of model.pkl}}`` of the store folder ``root``.

    Folders that are not valid names or integer versions, and versions without a
    model.pkl, are skipped. A missing ``root`` raises FileNotFoundError.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"model store {root} is not a folder")
    found: dict[str, dict[int, Path]] = {}
    for model_dir in sorted(p for p in root.iterdir() if p.is_dir() and NAME_PATTERN.match(p.name)):
        versions = {int(v.name): v / MODEL_FILE for v in model_dir.iterdir()
                    if v.is_dir() and VERSION_PATTERN.match(v.name) and (v / MODEL_FILE).is_file()}
        if versions:
            found[model_dir.name] = dict(sorted(versions.items()))
    return found


@dataclass(frozen=True)
class ModelStore:
    """Every loaded version of every model: ``models[name][version] -> ModelState``."""

    models: Mapping[str, Mapping[int, ModelState]]
    default_name: str = DEFAULT_NAME
    root: str | None = None
    problems: tuple[str, ...] = field(default=())

    def versions(self, name: str) -> Mapping[int, ModelState]:
        """The versions of ``name`` (ascending); UnknownModelError for an unknown name."""
        if name not in self.models:
            raise UnknownModelError(f"unknown model {name!r}; this server has {sorted(self.models)}")
        return self.models[name]

    def latest(self, name: str) -> ModelState:
        """The version of ``name`` that answers by default: the highest that loaded,
        else the highest (failed) one. UnknownModelError for an unknown name."""
        versions = self.versions(name)
        available = [v for v, state in versions.items() if state.available]
        return versions[max(available) if available else max(versions)]

    def get(self, name: str, version: int | None = None) -> ModelState:
        """Version ``version`` of ``name`` (None: ``latest``); UnknownModelError if absent."""
        if version is None:
            return self.latest(name)
        versions = self.versions(name)
        if version not in versions:
            raise UnknownModelError(f"model {name!r} has no version {version}; "
                                    f"it has {sorted(versions)}")
        return versions[version]


def load_store(root: str | Path | None, single_file: str | Path, default_name: str,
               confidence_threshold: float) -> ModelStore:
    """Load every version under ``root``; without a ``root``, ``single_file`` as version 1.

    Never raises for bad or missing model files: each failed version keeps its error,
    and a missing or empty store gives a ModelStore without models and a ``problems`` line.
    """
    check_name(default_name)
    if root is None:
        state = load_state(single_file, confidence_threshold, default_name, 1)
        return ModelStore({default_name: {1: state}}, default_name)
    try:
        found = scan_store(root)
    except OSError as exc:
        return ModelStore({}, default_name, str(root), (str(exc),))
    models = {name: {version: load_state(path, confidence_threshold, name, version)
                     for version, path in versions.items()}
              for name, versions in found.items()}
    problems = () if default_name in models else (f"model store {root} has no model {default_name!r}",)
    return ModelStore(models, default_name, str(root), problems)
