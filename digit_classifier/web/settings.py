"""Settings of the web app: defaults, instance file, environment, test overrides, secret key.

Precedence, lowest first: ``DEFAULTS`` < ``<instance_path>/settings.toml`` <
``DIGIT_CLASSIFIER_*`` environment variables < the ``test_config`` mapping given
to ``create_app``.  Nothing here writes to disk.
"""

import logging
import os
import secrets
import tomllib
from pathlib import Path
from typing import Any, Callable, Mapping

from flask import Flask

from digit_classifier import config as package_config

ENV_PREFIX = "DIGIT_CLASSIFIER_"
INSTANCE_PATH_ENV = ENV_PREFIX + "INSTANCE_PATH"
INSTANCE_FILE = "settings.toml"
SECRET_KEY_FILENAME = "secret_key"
MIB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    "MODEL_PATH": None,                 # None -> digit_classifier.config.default_model_path()
    "MAX_CONTENT_LENGTH": 1 * MIB,      # bytes; Werkzeug answers 413 above it
    "CONFIDENCE_THRESHOLD": 0.999,      # probability below which a prediction is "not confident" (predictor.py)
    "BATCH_MAX_IMAGES": 64,             # images per /api/v1/predict/batch request
    "SECRET_KEY": None,
    "SECRET_KEY_FILE": None,            # None -> <instance_path>/secret_key if that file exists
    "DEV_MODE": False,                  # allows a random per-process secret key (single-process dev server)
    "LOG_LEVEL": "INFO",
    "REPORT_URL": None,                 # optional link to the model report shown on the model card
    "REPORT_DIR": None,                 # optional absolute folder holding report.html: served at /report/
    "WTF_CSRF_ENABLED": True,
}


def _to_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {text!r}")


#: config key -> (environment variable suffix, parser of the variable's text)
ENV_VARS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "MODEL_PATH": ("MODEL", str),
    "MAX_CONTENT_LENGTH": ("MAX_UPLOAD_BYTES", int),
    "CONFIDENCE_THRESHOLD": ("CONFIDENCE_THRESHOLD", float),
    "BATCH_MAX_IMAGES": ("BATCH_MAX_IMAGES", int),
    "SECRET_KEY": ("SECRET_KEY", str),
    "SECRET_KEY_FILE": ("SECRET_KEY_FILE", str),
    "DEV_MODE": ("DEV", _to_bool),
    "LOG_LEVEL": ("LOG_LEVEL", str),
    "REPORT_URL": ("REPORT_URL", str),
    "REPORT_DIR": ("REPORT_DIR", str),
}


def instance_path_from_env() -> str | None:
    """Return ``$DIGIT_CLASSIFIER_INSTANCE_PATH`` as an absolute path, or None for Flask's default."""
    value = os.environ.get(INSTANCE_PATH_ENV)
    return str(Path(value).expanduser().resolve()) if value else None


def env_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Parse the ``DIGIT_CLASSIFIER_*`` variables present in ``environ`` into config keys.

    Raises ValueError naming the variable when its text does not parse.
    """
    settings = {}
    for key, (suffix, parse) in ENV_VARS.items():
        name = ENV_PREFIX + suffix
        if name in environ:
            try:
                settings[key] = parse(environ[name])
            except ValueError as exc:
                raise ValueError(f"{name}={environ[name]!r}: {exc}") from exc
    return settings


def load_settings(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` from every source, then check and complete it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_file(INSTANCE_FILE, load=tomllib.load, silent=True, text=False)
    app.config.from_mapping(env_settings(os.environ))
    if test_config is not None:
        app.config.from_mapping(test_config)
    _complete(app)


def _complete(app: Flask) -> None:
    """Resolve defaults that depend on other values and validate ranges."""
    cfg = app.config
    cfg["MODEL_PATH"] = str(Path(cfg["MODEL_PATH"] or package_config.default_model_path()).resolve())
    if int(cfg["MAX_CONTENT_LENGTH"]) < 1024:
        raise ValueError(f"MAX_CONTENT_LENGTH={cfg['MAX_CONTENT_LENGTH']!r}: must be >= 1024 bytes")
    if not 0.0 <= float(cfg["CONFIDENCE_THRESHOLD"]) <= 1.0:
        raise ValueError(f"CONFIDENCE_THRESHOLD={cfg['CONFIDENCE_THRESHOLD']!r}: must be in [0, 1]")
    if int(cfg["BATCH_MAX_IMAGES"]) < 1:
        raise ValueError(f"BATCH_MAX_IMAGES={cfg['BATCH_MAX_IMAGES']!r}: must be >= 1")
    if cfg.get("REPORT_DIR") and not Path(cfg["REPORT_DIR"]).is_absolute():
        raise ValueError(f"REPORT_DIR={cfg['REPORT_DIR']!r}: must be an absolute path")
    cfg["SECRET_KEY"] = _secret_key(app)


def _secret_key(app: Flask) -> str | bytes:
    """Return the configured secret key; a random one only in debug/testing/dev mode.

    Every process of a deployment must share the key (sessions and CSRF tokens
    are signed with it), hence the key file.  There is no hard-coded fallback.
    """
    cfg = app.config
    if cfg.get("SECRET_KEY"):
        return cfg["SECRET_KEY"]
    key_file = cfg.get("SECRET_KEY_FILE")
    default_file = Path(app.instance_path) / SECRET_KEY_FILENAME
    if not key_file and default_file.is_file():
        key_file = default_file
    if key_file:
        key = Path(key_file).read_text(encoding="utf-8").strip()
        if len(key) < 16:
            raise ValueError(f"secret key file {str(key_file)!r} holds fewer than 16 characters")
        return key
    if app.debug or app.testing or cfg.get("DEV_MODE"):
        app.logger.warning(
            "No SECRET_KEY configured: using a random per-process key (development only)."
        )
        return secrets.token_hex(32)
    raise RuntimeError(
        "No secret key: set DIGIT_CLASSIFIER_SECRET_KEY_FILE (or DIGIT_CLASSIFIER_SECRET_KEY), "
        f"or put a key in {default_file}; DIGIT_CLASSIFIER_DEV=1 allows a random key for development."
    )


def init_logging(app: Flask) -> None:
    """Set the app logger's level; Flask's default handler writes to wsgi.errors / stderr."""
    level = str(app.config["LOG_LEVEL"]).upper()
    if level not in logging.getLevelNamesMapping():
        raise ValueError(f"LOG_LEVEL={app.config['LOG_LEVEL']!r}: not a logging level")
    app.logger.setLevel(level)
