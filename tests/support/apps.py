"""Flask test apps: create_app with a test config, its clients checking JSON answers against the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from tests.support.schema import ValidatingClient

SECRET = "test-secret-key-0123456789abcdef"


def make_config(model_path: Path | str, **overrides) -> dict:
    """A test_config for create_app: testing mode, explicit secret, CSRF off unless overridden."""
    config = {"TESTING": True, "SECRET_KEY": SECRET, "MODEL_PATH": str(model_path), "WTF_CSRF_ENABLED": False}
    config.update(overrides)
    return config


def build_app(config: dict):
    """create_app(config) whose test clients validate JSON answers against the OpenAPI document."""
    from digit_classifier.web import create_app

    app = create_app(config)
    app.test_client_class = ValidatingClient
    return app
