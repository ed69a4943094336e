"""Real browser (Debian's Chromium via Playwright) against the app on a real local server.

Screenshots are kept in <repo>/test-artifacts/ (git-ignored) for people to look at.
"""

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.support.apps import build_app, make_config
from tests.support.images import encode
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


@pytest.mark.parametrize("name, mime", [("seven.png", "image/png"), ("IMG_0001.HEIC", "image/heic")])
def test_upload_an_image(page, seven_png, name, mime):
    """A PNG, and the HEIC an iPhone sends (Chromium cannot show one: the preview is ours)."""
    shot(page, "start")
    data = seven_png if mime == "image/png" else encode(Image.open(io.BytesIO(seven_png)).convert("RGB"), "HEIF")
    page.set_input_files("#upload-form input[name=image]",
                         files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.click("#upload-form [type=submit]")
    page.wait_for_selector("#result-digit")
    assert page.get_attribute("#result-digit", "data-digit") == "7"
    assert page.locator(".prob-row").count() == 10
    assert page.eval_on_selector("#input28", "img => img.naturalWidth") == 28
    assert page.eval_on_selector("#upload-preview", "img => img.naturalWidth") > 0
    shot(page, f"upload-result-{name}")


# Builds a File from base64 bytes inside the page and sends it as a paste on the document or
# a drop on the drawing pad (anywhere on the page counts), as a browser does for Ctrl+V or a drag.
DISPATCH = """([how, b64, name, mime]) => {
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const box = new DataTransfer();
    box.items.add(new File([bytes], name, {type: mime}));
    if (how === "paste") {
        document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: box, bubbles: true, cancelable: true}));
    } else {
        const target = document.getElementById("drawpad");
        target.dispatchEvent(new DragEvent("dragover", {dataTransfer: box, bubbles: true, cancelable: true}));
        target.dispatchEvent(new DragEvent("drop", {dataTransfer: box, bubbles: true, cancelable: true}));
    }
}"""


@pytest.mark.parametrize("how, name", [("paste", "image.png"), ("drop", "seven.png")])
def test_paste_or_drop_an_image(page, seven_png, how, name):
    """A screenshot pasted with Ctrl+V (Chromium names it image.png) or a file dropped on the
    page is sent by the upload form and read."""
    page.evaluate(DISPATCH, [how, base64.b64encode(seven_png).decode(), name, "image/png"])
    page.wait_for_selector("#result-digit")
    assert page.get_attribute("#result-digit", "data-digit") == "7"
    assert name in page.text_content("body")    # the result names the file the form sent


def test_pasted_text_is_ignored(page):
    """Pasting text (no image) neither submits the form nor leaves the page."""
    page.evaluate("""() => {
        const box = new DataTransfer();
        box.setData("text/plain", "7");
        document.dispatchEvent(new ClipboardEvent("paste", {clipboardData: box, bubbles: true, cancelable: true}));
    }""")
    page.wait_for_timeout(300)
    assert page.locator("#result-digit").count() == 0 and page.locator("#upload-form").count() == 1


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
