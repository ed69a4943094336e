"""Standard inference protocols as blueprints: Open Inference Protocol V2 (/v2) and TF Serving REST (/v1).

Kept import-light: ``web.errors`` and ``web.sessions`` import ``protocols.errors``,
so the blueprints are imported only inside ``init_app``.
"""

from flask import Flask


def init_app(app: Flask, csrf) -> None:
    """Register both protocol blueprints, exempt from CSRF (stateless JSON, no cookies)."""
    from digit_classifier.web.protocols import tfserving, v2

    for blueprint in (v2.bp, tfserving.bp):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
