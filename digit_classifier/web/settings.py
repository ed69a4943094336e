"""Settings of the web app: defaults, instance file, environment, test overrides, secret key.

Precedence, lowest first: the defaults of ``digit_classifier.config.SETTINGS`` <
``<instance_path>/settings.toml`` < ``DIGIT_CLASSIFIER_*`` environment variables
(read by ``digit_classifier.config``, the only reader) < the ``test_config``
mapping given to ``create_app``.  Nothing here writes to disk.
"""

import logging
import secrets
import tomllib
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

from digit_classifier import config as package_config
from digit_classifier.web.model_store import check_name as check_model_name

INSTANCE_FILE = "settings.toml"
SECRET_KEY_FILENAME = "secret_key"

#: app.config defaults: every web setting of the table (computed defaults resolved in
#: ``_complete``), plus Flask-WTF's switch, which no environment variable sets.
DEFAULTS: dict[str, Any] = {
    **{s.name: None if callable(s.default) else s.default
       for s in package_config.SETTINGS if "web" in s.applies_to and s.app_config},
    "WTF_CSRF_ENABLED": True,
    "SESSION_COOKIE_SAMESITE": "Lax",   # the cookie goes with top-level navigation, not cross-site posts
    "SESSION_COOKIE_SECURE": False,     # True forces Secure; it is also set on any request served over https
}


def instance_path_from_env() -> str | None:
    """Return ``$DIGIT_CLASSIFIER_INSTANCE_PATH`` as an absolute path, or None for Flask's default."""
    path = package_config.value("INSTANCE_PATH")
    return str(path) if path else None


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The app.config keys set by ``DIGIT_CLASSIFIER_*`` variables in ``environ`` (default: the process environment).

    Raises ``config.SettingError`` (a ValueError) naming the variable when its text does not parse.
    """
    values = package_config.from_environment(environ, applies_to="web")
    return {name: v for name, v in values.items() if package_config.BY_NAME[name].app_config}


def load_settings(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` from every source, then check and complete it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_file(INSTANCE_FILE, load=tomllib.load, silent=True, text=False)
    app.config.from_mapping(env_settings())
    if test_config is not None:
        app.config.from_mapping(test_config)
    _complete(app)


def _complete(app: Flask) -> None:
    """Resolve defaults that depend on other values and validate ranges."""
    cfg = app.config
    cfg["MODEL_PATH"] = str(Path(cfg["MODEL_PATH"] or package_config.base_model_path()).resolve())
    if cfg.get("MODEL_STORE"):
        cfg["MODEL_STORE"] = str(Path(cfg["MODEL_STORE"]).resolve())
    check_model_name(cfg["MODEL_NAME"])
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
