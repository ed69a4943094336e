"""Response headers that keep the pages locked down (no CDN, no inline scripts or styles)."""

from flask import Flask, Response

#: Everything is served by the app itself; images may also be data: URLs (previews).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def add_headers(response: Response) -> Response:
    """Add the security headers to ``response`` (kept if a view set its own)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    """Register ``add_headers`` on every response of ``app``."""
    app.after_request(add_headers)
