"""The model report at /report/: served from REPORT_DIR only, linked from the model card only when there."""

import os
from pathlib import Path

import pytest

from digit_classifier.web import create_app
from digit_classifier.config import ENV_PREFIX
from tests.support.apps import build_app, make_config

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
SECRET_TEXT = "top secret, outside the report folder"


@pytest.fixture()
def report_dir(tmp_path) -> Path:
    """A report folder (report.html + one PNG) next to a file that must never be served."""
    (tmp_path / "secret.txt").write_text(SECRET_TEXT)
    folder = tmp_path / "report"
    folder.mkdir()
    (folder / "report.html").write_text("<!doctype html><title>r</title>"
                                        "<h1>Evaluation report: marker-42</h1>")
    (folder / "curves.png").write_bytes(PNG)
    return folder


def app_with(model_path, **settings):
    return build_app(make_config(model_path, **settings))


def model_card_link(client) -> str | None:
    """The href of the model card's "Model report" link on the start page, or None."""
    page = client.get("/").get_data(as_text=True)
    card = page[page.index('id="model-card"'):]
    if "Model report" not in card:
        return None
    anchor = card[:card.index(">Model report<")]
    return anchor[anchor.rindex('href="') + 6:].split('"', 1)[0]


def test_report_is_served_and_linked(model_path, report_dir):
    client = app_with(model_path, REPORT_DIR=str(report_dir)).test_client()
    for url in ("/report/", "/report/report.html"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/html" and b"marker-42" in response.data
        csp = response.headers["Content-Security-Policy"]
        assert "style-src 'unsafe-inline'" in csp and "default-src 'none'" in csp and "script" not in csp
    image = client.get("/report/curves.png")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
    assert client.get("/report").status_code in (301, 308)   # to /report/
    assert model_card_link(client) == "/report/"


def test_configured_report_url_wins(model_path, report_dir):
    client = app_with(model_path, REPORT_DIR=str(report_dir),
                      REPORT_URL="/elsewhere/report.html").test_client()
    assert model_card_link(client) == "/elsewhere/report.html"
    assert client.get("/report/").status_code == 200


@pytest.mark.parametrize("path", [
    "/report/../secret.txt",
    "/report/%2e%2e/secret.txt",
    "/report/..%2fsecret.txt",
    "/report/..%5csecret.txt",
    "/report//etc/passwd",
    "/report/%2fetc%2fpasswd",
    "/report/missing.png",
])
def test_nothing_outside_the_report_folder_is_served(model_path, report_dir, path):
    client = app_with(model_path, REPORT_DIR=str(report_dir)).test_client()
    response = client.get(path, follow_redirects=True)   # Werkzeug merges "//" with a redirect first
    assert response.status_code == 404
    assert SECRET_TEXT.encode() not in response.data and b"root:" not in response.data
    assert response.mimetype == "text/html" and b'id="error-status"' in response.data


@pytest.mark.parametrize("setting", ["unset", "missing folder", "no report.html"])
def test_no_report_means_404_and_no_link(model_path, tmp_path, setting):
    settings = {}
    if setting == "missing folder":
        settings["REPORT_DIR"] = str(tmp_path / "nowhere")
    elif setting == "no report.html":
        (tmp_path / "curves.png").write_bytes(PNG)
        settings["REPORT_DIR"] = str(tmp_path)
    client = app_with(model_path, **settings).test_client()
    for url in ("/report/", "/report/report.html", "/report/curves.png"):
        response = client.get(url)
        assert response.status_code == 404 and b'id="error-status"' in response.data, url
    assert model_card_link(client) is None
    assert "Test accuracy" in client.get("/").get_data(as_text=True)   # the card itself is there


def test_link_appears_when_the_report_is_written_later(model_path, tmp_path):
    client = app_with(model_path, REPORT_DIR=str(tmp_path)).test_client()
    assert model_card_link(client) is None and client.get("/report/").status_code == 404
    (tmp_path / "report.html").write_text("<h1>late</h1>")
    assert model_card_link(client) == "/report/" and b"late" in client.get("/report/").data


def test_report_dir_from_the_environment_must_be_absolute(monkeypatch, model_path, report_dir):
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv(ENV_PREFIX + "REPORT_DIR", str(report_dir))
    app = create_app(make_config(model_path))
    assert app.config["REPORT_DIR"] == str(report_dir)
    assert app.test_client().get("/report/").status_code == 200
    monkeypatch.setenv(ENV_PREFIX + "REPORT_DIR", "relative/report")
    with pytest.raises(ValueError, match="REPORT_DIR='relative/report'"):
        create_app(make_config(model_path))
