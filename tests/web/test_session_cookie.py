"""The session cookie of the HTML pages: SameSite=Lax always, Secure over https only."""

import pytest

from tests.support.apps import build_app, make_config


@pytest.fixture()
def csrf_client(model_path):
    """A client of an app with CSRF on, so the upload page stores its token in the session."""
    return build_app(make_config(model_path, WTF_CSRF_ENABLED=True)).test_client()


def session_cookie(response) -> str:
    """The Set-Cookie header of Flask's ``session`` cookie (fails when there is none)."""
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert len(cookies) == 1, response.headers
    return cookies[0]


def cookie_attributes(header: str) -> set[str]:
    """The lower-cased attributes of a Set-Cookie header, e.g. {"httponly", "samesite=lax"}."""
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_page_cookie_is_samesite_lax_and_not_secure_over_http(csrf_client):
    attributes = cookie_attributes(session_cookie(csrf_client.get("/")))
    assert "samesite=lax" in attributes
    assert "httponly" in attributes
    assert "secure" not in attributes


def test_page_cookie_is_secure_over_https(csrf_client):
    attributes = cookie_attributes(session_cookie(csrf_client.get("/", base_url="https://localhost")))
    assert {"samesite=lax", "httponly", "secure"} <= attributes


def test_secure_can_be_forced_for_tls_terminated_upstream(model_path):
    client = build_app(make_config(model_path, WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True)).test_client()
    assert "secure" in cookie_attributes(session_cookie(client.get("/")))


def test_api_sets_no_cookie(csrf_client):
    assert csrf_client.get("/api/v1/model").headers.getlist("Set-Cookie") == []
