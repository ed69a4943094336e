"""The site as build_all_local.sh deploys it (the session's canary): Apache's own errors, limits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from tests.deploy.conftest import APACHE_BODY_LIMIT, SCRIPTS_DIR, UPLOAD_LIMIT

ERROR_DOCS = SCRIPTS_DIR / "error_documents"
APACHE_VERSION = re.compile(r"Apache/\d|Apache Server at|\b2\.4\.\d", re.IGNORECASE)


@pytest.fixture()
def site(canary):
    if canary is None:
        pytest.skip("needs root and the system Apache (DIGIT_CLASSIFIER_SKIP_SYSTEM_APACHE unset)")
    return canary


def oversize_post(url: str) -> requests.Response:
    """POST a body one byte over Apache's LimitRequestBody (Apache answers, not the app)."""
    return requests.post(url, data=b"\0" * (APACHE_BODY_LIMIT + 1),
                         headers={"Content-Type": "image/png"}, timeout=60)


@pytest.mark.parametrize("path", sorted(p.name for p in ERROR_DOCS.glob("*.json")))
def test_json_error_documents_have_the_app_shape(path):
    status = int(Path(path).stem)
    body = json.loads((ERROR_DOCS / path).read_text())
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message"}
    assert error["status"] == status and re.fullmatch(r"[a-z_]+", error["code"]) and error["message"]


def test_every_status_apache_may_answer_has_both_documents():
    json_docs = {p.stem for p in ERROR_DOCS.glob("*.json")}
    rows = [line.split("|") for line in (ERROR_DOCS / "pages.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    assert all(len(row) == 3 and all(row) for row in rows)   # status|title|message, none empty
    pages = {row[0] for row in rows}
    for status in ("400", "408", "413", "414", "500", "502", "503", "504"):
        assert status in json_docs and status in pages


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/api/v1/predict", "/api/v1/predict/batch"])
def test_body_over_apache_limit_gets_json_413_on_the_api(site, path):
    response = oversize_post(site.url + path)
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == 413 and error["code"] == "payload_too_large"
    assert f"{UPLOAD_LIMIT // 2**20} MiB" in error["message"]
    assert not APACHE_VERSION.search(response.text), response.text


@pytest.mark.slow
@pytest.mark.parametrize("path", ["/", "/predict"])
def test_body_over_apache_limit_gets_a_friendly_page_elsewhere(site, path):
    response = oversize_post(site.url + path)
    assert response.status_code == 413
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Upload too large" in response.text and 'href="/"' in response.text
    assert not APACHE_VERSION.search(response.text), response.text


@pytest.mark.slow
def test_apache_404_and_403_pages_show_no_version(site):
    for path, status in (("/static/no-such-file.css", 404), ("/report/.model-sha256", 403)):
        response = requests.get(site.url + path, timeout=10)
        assert response.status_code == status
        assert not APACHE_VERSION.search(response.text), response.text


@pytest.mark.slow
def test_app_errors_still_come_from_the_app(site):
    """The error documents only replace Apache's own answers, not the app's JSON errors."""
    response = requests.post(site.url + "/api/v1/predict", data=b"hello",
                             headers={"Content-Type": "text/plain"}, timeout=30)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.slow
def test_site_file_sets_the_daemon_limits(site):
    conf = Path(f"/etc/apache2/sites-available/{site.name}.conf").read_text()
    for option in ("maximum-requests=50000", "restart-interval=86400", "graceful-timeout=15",
                   "shutdown-timeout=5", "deadlock-timeout=60", "request-timeout=60", "queue-timeout=45",
                   "socket-timeout=60", "startup-timeout=30", "inactivity-timeout=0"):
        assert option in conf
    assert "ServerSignature Off" in conf
    assert f"LimitRequestBody {APACHE_BODY_LIMIT}" in conf
    assert not re.search(r"^\s*ServerTokens", conf, re.MULTILINE)   # left to the server by default
