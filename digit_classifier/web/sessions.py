"""Cookie sessions for the HTML pages only: the JSON side (/api/, /healthz) never opens one.

The pages need the signed session for Flask-WTF's CSRF token; the API is
CSRF-exempt and stateless, so building the signing serializer and parsing the
cookie on every API call would be pure cost on the hottest route.

The cookie is ``SameSite=Lax`` (settings) and ``Secure`` whenever the request
itself came over https, so the same code serves http on 127.0.0.1 and https
behind a TLS virtual host; ``SESSION_COOKIE_SECURE = True`` forces it.
"""

from flask import Flask, Request, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

from digit_classifier.web.protocols.errors import is_protocol_path


def is_json_path(path: str) -> bool:
    """True for the paths of the JSON API, the inference protocols and the health probe."""
    return path.startswith("/api/") or path == "/healthz" or is_protocol_path(path)


class PageSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except a null session on JSON paths.

    A null session reads as empty, refuses writes, and is never saved, so an
    API response never carries a Set-Cookie header.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if is_json_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        """True when configured, or when the current request was served over https."""
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def init_app(app: Flask) -> None:
    """Install PageSessionInterface on ``app``."""
    app.session_interface = PageSessionInterface()
