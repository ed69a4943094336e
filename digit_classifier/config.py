"""One table of settings (name, type, default, environment variable, where it applies) and its one reader.

Every ``DIGIT_CLASSIFIER_*`` variable is declared once in :data:`SETTINGS` and read
only by :func:`from_environment`; the CLI and the web app (``web/settings.py``) both
go through it.  ``docs/settings.md`` is generated from the table by
``docs/gen_settings.py`` (a test fails when they disagree), and
``deployment_scripts/site.wsgi.template`` sets the variables of the rows that have a
``deploy`` name, from that ``config_profile.sh`` variable.

Paths are absolute and never taken from the current directory (Apache's cwd is
``/``).  Data and model default to the repository's ``data/`` only when running
from a checkout; an installed package uses the user's data folder
(``$XDG_DATA_HOME/digit-classifier``, by default ``~/.local/share/digit-classifier``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

#: The folder holding the ``digit_classifier`` package: a checkout, or site-packages once installed.
REPO_ROOT = Path(__file__).resolve().parent.parent
#: Folder name inside the user's data folder (XDG base directory spec) for an installed package.
APP_DIR_NAME = "digit-classifier"
MIB = 1024 * 1024
#: Every environment variable of the table starts with it.
ENV_PREFIX = "DIGIT_CLASSIFIER_"
#: Calibrated probability under which a prediction is flagged ``confident=False``. The
#: temperature is fitted on MNIST, so off MNIST only near-certain answers are trustworthy:
#: at 0.999 (with the predictor's ``CONTEST`` rule) the confident answers were >= 99.3% right
#: on every dev set (docs/preprocessing.md); at 0.7 they were 86-93% right on outlined digits
#: and ruled paper.
DEFAULT_CONFIDENCE_THRESHOLD = 0.999


class SettingError(ValueError):
    """An environment variable's text does not parse as its setting's type."""


def is_checkout(root: Path = REPO_ROOT) -> bool:
    """True when ``root`` is a source checkout: ``setup.py`` plus ``.git`` or ``data/README.md``."""
    return (root / "setup.py").is_file() and ((root / ".git").exists() or (root / "data" / "README.md").is_file())


def user_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return ``$XDG_DATA_HOME/digit-classifier``, or ``~/.local/share/digit-classifier``.

    A relative or empty ``XDG_DATA_HOME`` is ignored, as the XDG spec asks.
    """
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_DATA_HOME", "")
    if not base or not Path(base).is_absolute():
        base = Path(environ.get("HOME") or Path.home()) / ".local" / "share"
    return Path(base) / APP_DIR_NAME


def base_data_dir() -> Path:
    """The data folder when ``DIGIT_CLASSIFIER_DATA_DIR`` is unset: ``<repo>/data`` in a checkout, else XDG."""
    return REPO_ROOT / "data" if is_checkout() else user_data_dir()


def base_model_path() -> Path:
    """The model file when ``DIGIT_CLASSIFIER_MODEL`` is unset: ``model.pkl`` in :func:`base_data_dir`."""
    return base_data_dir() / "model.pkl"


def _path(text: str) -> Path:
    return Path(text).expanduser().resolve()


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


@dataclass(frozen=True)
class Setting:
    """One setting.

    name -- its key in Flask's ``app.config`` and in ``settings.toml`` (when ``app_config``).
    parse -- turns the environment variable's text into the value (raises ValueError).
    default -- the value when nothing sets it; a callable is called (computed defaults).
    env -- the environment variable, read only by :func:`from_environment`.
    applies_to -- ``"cli"`` and/or ``"web"``.
    deploy -- the ``config_profile.sh`` variable the deployment passes in as ``env``, if any.
    app_config -- False for settings read before the Flask app exists (the instance folder).
    """

    name: str
    parse: Callable[[str], Any]
    default: Any
    env: str
    doc: str
    applies_to: tuple[str, ...]
    deploy: str | None = None
    app_config: bool = True


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", _path, base_data_dir, "DIGIT_CLASSIFIER_DATA_DIR",
            "MNIST folder of fetch-data, train and evaluate", ("cli",), deploy="DC_DATA_DIR"),
    Setting("MODEL_PATH", _path, base_model_path, "DIGIT_CLASSIFIER_MODEL",
            "model file: written by train, read by evaluate, predict and the web app",
            ("cli", "web"), deploy="DC_MODEL_PATH"),
    Setting("MODEL_STORE", _path, None, "DIGIT_CLASSIFIER_MODEL_STORE",
            "versioned model store, STORE/NAME/VERSION/model.pkl; unset: MODEL_PATH is version 1",
            ("web",), deploy="DC_MODEL_STORE"),
    Setting("MODEL_NAME", str, "digits", "DIGIT_CLASSIFIER_MODEL_NAME",
            "the model that answers when a request names none", ("web",), deploy="DC_MODEL_NAME"),
    Setting("MAX_CONTENT_LENGTH", int, 10 * MIB, "DIGIT_CLASSIFIER_MAX_UPLOAD_BYTES",
            "largest request body in bytes (>= 1024; 10 MiB: a phone photo fits); Flask answers 413 above it",
            ("web",), deploy="DC_MAX_UPLOAD_BYTES"),
    Setting("CONFIDENCE_THRESHOLD", float, DEFAULT_CONFIDENCE_THRESHOLD, "DIGIT_CLASSIFIER_CONFIDENCE_THRESHOLD",
            "probability below which a prediction is marked not confident", ("web",)),
    Setting("BATCH_MAX_IMAGES", int, 64, "DIGIT_CLASSIFIER_BATCH_MAX_IMAGES",
            "images per /api/v1/predict/batch request", ("web",)),
    Setting("BATCH_MAX_PIXELS", int, 80_000_000, "DIGIT_CLASSIFIER_BATCH_MAX_PIXELS",
            "total pixels (read from the headers) of one batch request: two images at the pixel cap",
            ("web",)),
    Setting("SECRET_KEY", str, None, "DIGIT_CLASSIFIER_SECRET_KEY",
            "key signing sessions and CSRF tokens (prefer SECRET_KEY_FILE)", ("web",)),
    Setting("SECRET_KEY_FILE", str, None, "DIGIT_CLASSIFIER_SECRET_KEY_FILE",
            "file holding the secret key; unset: <instance folder>/secret_key if it exists",
            ("web",), deploy="DC_SECRET_KEY_FILE"),
    Setting("DEV_MODE", _bool, False, "DIGIT_CLASSIFIER_DEV",
            "1/0: allow a random per-process secret key (single-process development server)", ("web",)),
    Setting("LOG_LEVEL", str, "INFO", "DIGIT_CLASSIFIER_LOG_LEVEL",
            "level of the app's log (stderr; Apache's error log under mod_wsgi)", ("web",)),
    Setting("REPORT_URL", str, None, "DIGIT_CLASSIFIER_REPORT_URL",
            "link to the model report on the model card", ("web",), deploy="DC_REPORT_URL"),
    Setting("REPORT_DIR", str, None, "DIGIT_CLASSIFIER_REPORT_DIR",
            "absolute folder holding report.html, served by the app at /report/", ("web",)),
    Setting("INSTANCE_PATH", _path, None, "DIGIT_CLASSIFIER_INSTANCE_PATH",
            "instance folder (settings.toml, secret_key); environment only; unset: Flask's default",
            ("web",), deploy="DC_CONF_DIR", app_config=False),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def from_environment(environ: Mapping[str, str] | None = None,
                     applies_to: str | None = None) -> dict[str, Any]:
    """Parse the settings' variables present (and not empty) in ``environ`` (default ``os.environ``).

    Returns {setting name: parsed value}, limited to the settings that apply to
    ``applies_to`` when given.  Raises SettingError naming the variable and its text.
    """
    environ = os.environ if environ is None else environ
    values = {}
    for setting in SETTINGS:
        if applies_to is None or applies_to in setting.applies_to:
            parsed = _read(setting, environ)
            if parsed is not None:
                values[setting.name] = parsed
    return values


def _read(setting: Setting, environ: Mapping[str, str]) -> Any:
    """The one place a setting's variable is read: its parsed value, or None when unset or empty."""
    text = environ.get(setting.env, "")
    if not text:
        return None
    try:
        return setting.parse(text)
    except ValueError as exc:
        raise SettingError(f"{setting.env}={text!r}: {exc}") from exc


def value(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """Return setting ``name`` from ``environ`` (default ``os.environ``), else its default.

    A callable default is called.  Raises SettingError when the variable does not parse.
    """
    setting = BY_NAME[name]
    found = _read(setting, os.environ if environ is None else environ)
    if found is not None:
        return found
    return setting.default() if callable(setting.default) else setting.default


def default_data_dir() -> Path:
    """Return ``$DIGIT_CLASSIFIER_DATA_DIR`` if set, else :func:`base_data_dir` (absolute)."""
    return value("DATA_DIR")


def default_model_path() -> Path:
    """Return ``$DIGIT_CLASSIFIER_MODEL`` if set, else :func:`base_model_path` (absolute)."""
    return value("MODEL_PATH")
