"""Real browser (Debian's Chromium via Playwright) against the app on a real local server.

Screenshots are kept in <repo>/test-artifacts/ (git-ignored) for people to look at.
"""

from pathlib import Path

import pytest

from tests.support.apps import build_app, make_config
from tests.support.servers import serve_in_thread

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def base_url(model_path):
    """The production-like app (CSRF on) served by a real threaded server on 127.0.0.1."""
    app = build_app(make_config(model_path, WTF_CSRF_ENABLED=True))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, base_url):
    """A fresh page at the start page; fails the test on any console error (e.g. a CSP violation)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems = []
    # A 4xx document is expected on error pages; console errors and failed sub-resources are not.
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
    page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "document" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(base_url + "/")
    yield page
    context.close()
    assert problems == []


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_upload_an_image(page, seven_png):
    shot(page, "start")
    page.set_input_files("#upload-form input[name=image]",
                         files=[{"name": "seven.png", "mimeType": "image/png", "buffer": seven_png}])
    page.click("#upload-form [type=submit]")
    page.wait_for_selector("#result-digit")
    assert page.get_attribute("#result-digit", "data-digit") == "7"
    assert page.locator(".prob-row").count() == 10
    assert page.eval_on_selector("#input28", "img => img.naturalWidth") == 28
    assert page.eval_on_selector("#upload-preview", "img => img.naturalWidth") > 0
    shot(page, "upload-result")


def stroke(page, points) -> None:
    """Draw a polyline on the pad; points are (x, y) fractions of the canvas box."""
    box = page.locator("#drawpad").bounding_box()
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=12)
    page.mouse.up()


@pytest.mark.parametrize("digit, strokes", [
    ("1", [[(0.38, 0.28), (0.52, 0.15), (0.52, 0.85)]]),
    ("7", [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]]),
])
def test_draw_a_digit(page, digit, strokes):
    for points in strokes:
        stroke(page, points)
    shot(page, f"drawn-{digit}")
    page.click("#drawpad-submit")
    page.wait_for_selector("#result-digit")
    assert page.get_attribute("#result-digit", "data-digit") == digit
    shot(page, f"draw-result-{digit}")


def test_empty_pad_is_not_submitted(page, base_url):
    page.click("#drawpad-submit")
    assert page.is_visible("#drawpad-hint")
    assert page.url == base_url + "/"
    stroke(page, [(0.5, 0.2), (0.5, 0.8)])
    page.click("#drawpad-clear")
    page.click("#drawpad-submit")
    assert page.is_visible("#drawpad-hint") and page.url == base_url + "/"


def test_error_is_shown_with_the_form(page):
    page.set_input_files("#upload-form input[name=image]",
                         files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"plain text"}])
    page.click("#upload-form [type=submit]")
    page.wait_for_selector("#error-message")
    assert "not an image" in page.inner_text("#error-message")
    assert page.is_visible("#upload-form") and page.is_visible("#drawpad")
    shot(page, "error")
