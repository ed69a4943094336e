"""Replay hand-authored pen paths on the web page's real drawing pad and save what it submits.

Nobody can draw by hand on a headless machine, so the digits are written as pen paths in
``bench/canvas_strokes.json`` (several writing styles per digit, polylines or smooth
curves in a unit square). Each style is drawn several times with per-drawing variation
taken from a seeded ``np.random.Generator``: place on the pad (off-centre, near an edge),
size (25-90% of the pad's height), aspect, slant, rotation, jitter of the control points,
hand tremor, drawing speed (pixels between pointer events) and the pointer (mouse, pen or
touch). The Flask app is served on 127.0.0.1, the start page opened in Debian's Chromium
(Playwright), the paths replayed as pointer events on ``#drawpad``, and the PNG taken
with the same ``canvas.toBlob(..., "image/png")`` call the page's submit handler uses.

CLI: ``python bench/canvas_digits.py --out bench/canvas_digits [--seed 0] [--variants 6]
[--limit N] [--model M] [--overwrite]`` writes ``<digit>_<style>_<k>.png``, ``labels.csv``
(filename,label: what ``digit-classifier evaluate --realistic`` reads) and
``drawings.csv`` (the per-drawing parameters). The same seed gives the same pointer
events; PNG bytes may still differ between Chromium versions (anti-aliasing).
"""

from __future__ import annotations

import argparse
import base64
import csv
import secrets
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # bench/ is a folder of scripts; tests/support for the server

from canvas_plan import (EDGE_MARGIN, POINTERS, SPEEDS, STROKES_FILE, Drawing, Stroke,  # noqa: E402,F401
                         Style, load_styles, plan_drawings)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def serve_app(model_path: Path | None) -> Iterator[str]:
    """The app (CSRF on, as in production) on a free port of 127.0.0.1; yields its URL.

    The pad works without a model: the page then only warns that predictions are off.
    """
    from digit_classifier.web import create_app
    from tests.support.servers import serve_in_thread

    with tempfile.TemporaryDirectory() as scratch:
        model = model_path if model_path is not None else Path(scratch) / "no-model.pkl"
        app = create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16),
                          "MODEL_PATH": str(model), "WTF_CSRF_ENABLED": True})
        with serve_in_thread(app, quiet=True) as url:  # one log line per static file is noise here
            yield url


# The submit handler's own call (static/js/drawpad.js): canvas.toBlob(callback, "image/png").
PNG_JS = """canvas => new Promise(resolve => canvas.toBlob(blob => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(blob);
}, "image/png"))"""


class DrawingPad:
    """The page's ``#drawpad`` driven by pointer events: mouse through Playwright's mouse,
    pen and touch through the Chrome DevTools Protocol (Playwright has no pen or touch drag)."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.canvas = page.locator("#drawpad")
        self.size = float(self.canvas.evaluate("c => c.width"))

    def _client(self, path: np.ndarray) -> np.ndarray:
        """Canvas px -> viewport CSS px, the inverse of the page's own point() mapping."""
        box = self.canvas.bounding_box()
        return np.column_stack([box["x"] + path[:, 0] * box["width"] / self.size,
                                box["y"] + path[:, 1] * box["height"] / self.size])

    def clear(self) -> None:
        self.page.click("#drawpad-clear")

    def stroke(self, path: np.ndarray, pointer: str) -> None:
        """One stroke: pointer down at path[0], a move per point, up at the last one."""
        xy = [(float(x), float(y)) for x, y in self._client(path)]
        if pointer == "mouse":
            self.page.mouse.move(*xy[0])
            self.page.mouse.down()
            for x, y in xy[1:]:
                self.page.mouse.move(x, y)
            self.page.mouse.up()
        elif pointer == "pen":
            pen = {"button": "left", "pointerType": "pen"}
            self.cdp.send("Input.dispatchMouseEvent", {"type": "mousePressed", "x": xy[0][0], "y": xy[0][1],
                                                       "buttons": 1, "clickCount": 1, **pen})
            for x, y in xy[1:]:
                self.cdp.send("Input.dispatchMouseEvent",
                              {"type": "mouseMoved", "x": x, "y": y, "buttons": 1, **pen})
            self.cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": xy[-1][0], "y": xy[-1][1],
                                                       "buttons": 0, "clickCount": 1, **pen})
        elif pointer == "touch":
            for kind, (x, y) in [("touchStart", xy[0])] + [("touchMove", p) for p in xy[1:]]:
                self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
            self.cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        else:
            raise ValueError(f"unknown pointer {pointer!r}; expected one of {POINTERS}")

    def png(self) -> bytes:
        """The PNG the page would submit now."""
        data_url = self.canvas.evaluate(PNG_JS)
        header, _, payload = data_url.partition(",")
        if header != "data:image/png;base64":
            raise ValueError(f"canvas.toBlob gave {header!r}, not a PNG")
        return base64.b64decode(payload)


@contextmanager
def open_pad(url: str, chromium: str = CHROMIUM) -> Iterator[DrawingPad]:
    """Chromium at ``url`` with a pad; raises RuntimeError on any page error afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900}, has_touch=True)
            page = context.new_page()
            problems = []
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.goto(url + "/")
            yield DrawingPad(page)
            if problems:
                raise RuntimeError(f"the page reported errors: {problems}")
        finally:
            browser.close()


def _prepare_out(out: Path, overwrite: bool) -> None:
    """Create ``out``; an existing set is replaced only with ``overwrite`` (stale PNGs would
    otherwise sit next to a labels.csv that does not list them)."""
    out.mkdir(parents=True, exist_ok=True)
    old = [*out.glob("*.png"), *out.glob("labels.csv"), *out.glob("drawings.csv")]
    if old and not overwrite:
        raise ValueError(f"{out} already holds a set ({len(old)} files); pass --overwrite to replace it")
    for path in old:
        path.unlink()


def write_set(drawings: list[Drawing], pad: DrawingPad, out: Path, progress=None) -> None:
    """Draw each planned drawing on the pad and save its PNG, labels.csv and drawings.csv."""
    for i, drawing in enumerate(drawings):
        pad.clear()
        for path in drawing.paths:
            pad.stroke(path, drawing.pointer)
        (out / drawing.filename).write_bytes(pad.png())
        if progress is not None:
            progress(i + 1, len(drawings))
    with open(out / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "label"])
        writer.writerows([d.filename, d.label] for d in drawings)
    keys = list(drawings[0].params)
    with open(out / "drawings.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "label", "style", "pointer", "speed", "strokes", "events", *keys])
        for d in drawings:
            writer.writerow([d.filename, d.label, d.style, d.pointer, d.speed, len(d.paths),
                             sum(len(p) for p in d.paths), *(f"{d.params[k]:.4g}" for k in keys)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "canvas_digits", help="output folder")
    parser.add_argument("--strokes", type=Path, default=STROKES_FILE, help="stroke file (JSON)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--variants", type=int, default=6, help="drawings per style (default 6)")
    parser.add_argument("--limit", type=int, default=None, help="draw only the first N planned drawings")
    parser.add_argument("--model", type=Path, default=None, help="model file to serve (optional)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"Chromium binary (default {CHROMIUM})")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing set in --out")
    args = parser.parse_args(argv)

    drawings = plan_drawings(load_styles(args.strokes), args.variants, np.random.default_rng(args.seed))
    drawings = drawings[:args.limit] if args.limit is not None else drawings
    _prepare_out(args.out, args.overwrite)
    with serve_app(args.model) as url, open_pad(url, args.chromium) as pad:
        if pad.size != 280.0:
            raise ValueError(f"the page's pad is {pad.size} px wide; the plan assumes 280")
        write_set(drawings, pad, args.out,
                  progress=lambda done, total: print(f"\r{done}/{total}", end="" if done < total else "\n"))
    total = sum(p.stat().st_size for p in args.out.glob("*.png"))
    print(f"{len(drawings)} drawings, {total / 1e6:.2f} MB of PNG in {args.out}")


if __name__ == "__main__":
    main()
