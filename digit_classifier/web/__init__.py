"""The Flask web app: ``create_app`` builds it; each piece registers itself (init_app)."""

from typing import Any, Mapping

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from digit_classifier.web import api, errors, model_state, protocols, security, sessions, settings, uploads, views


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings, logging, the model (loaded once, now), pages, API, errors.

    ``test_config`` overrides every other settings source (see ``settings``).
    Raises RuntimeError when no secret key is configured outside debug/testing/dev mode.
    """
    app = Flask(__name__, instance_path=settings.instance_path_from_env(), instance_relative_config=True)
    settings.load_settings(app, test_config)
    settings.init_logging(app)
    uploads.init_app(app)
    security.init_app(app)
    sessions.init_app(app)
    csrf = CSRFProtect(app)
    model_state.init_app(app)
    app.register_blueprint(views.bp)
    api.init_app(app, csrf)
    protocols.init_app(app, csrf)
    errors.init_app(app)
    return app
