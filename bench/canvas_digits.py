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
import json
import secrets
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

HERE = Path(__file__).resolve().parent
STROKES_FILE = HERE / "canvas_strokes.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
POINTERS = ("mouse", "pen", "touch")
SPEEDS = {"slow": (2.0, 5.0), "medium": (6.0, 12.0), "fast": (14.0, 26.0)}  # px between events
EDGE_MARGIN = 13.0  # px: half the pad's 22 px line width + 2 (tremor aside), so no ink is clipped


@dataclass(frozen=True)
class Stroke:
    """One pen-down..pen-up path: ``points`` (k, 2) float in the unit square (x, y down);
    ``corners`` indices where the path may turn sharply (every index for a polyline)."""
    points: np.ndarray
    corners: tuple[int, ...]


@dataclass(frozen=True)
class Style:
    label: int
    name: str
    strokes: tuple[Stroke, ...]


@dataclass(frozen=True)
class Drawing:
    """One planned drawing; ``paths`` are (m, 2) float arrays of pointer positions in
    canvas pixels, one per stroke, in drawing order."""
    label: int
    style: str
    variant: int
    pointer: str
    speed: str
    params: dict
    paths: tuple[np.ndarray, ...]

    @property
    def filename(self) -> str:
        return f"{self.label}_{self.style}_{self.variant:02d}.png"


def _parse_stroke(entry: dict, where: str) -> Stroke:
    """A JSON stroke -> Stroke; a repeated point in a smooth stroke marks a corner."""
    raw = np.asarray(entry.get("points", []), dtype=np.float64)
    if raw.ndim != 2 or raw.shape[0] < 2 or raw.shape[1] != 2 or not np.all((raw >= 0) & (raw <= 1)):
        raise ValueError(f"{where}: points must be >= 2 (x, y) pairs in [0, 1], got {entry.get('points')!r}")
    repeated = np.r_[False, np.all(raw[1:] == raw[:-1], axis=1)]
    points = raw[~repeated]
    if not entry.get("smooth", False):
        return Stroke(points, tuple(range(len(points))))
    corner_at = np.cumsum(~repeated) - 1  # index in `points` of each raw point
    corners = sorted({0, len(points) - 1, *corner_at[repeated].tolist()})
    return Stroke(points, tuple(corners))


def load_styles(path: Path = STROKES_FILE) -> list[Style]:
    """Read the stroke file; every digit 0-9 needs at least 3 styles. Raises ValueError."""
    digits = json.loads(Path(path).read_text())["digits"]
    styles = []
    for label in range(10):
        entries = digits.get(str(label), [])
        if len(entries) < 3:
            raise ValueError(f"{path}: digit {label} has {len(entries)} styles, needs at least 3")
        for entry in entries:
            where = f"{path}: digit {label} style {entry.get('style')!r}"
            strokes = tuple(_parse_stroke(s, where) for s in entry["strokes"])
            styles.append(Style(label, entry["style"], strokes))
    return styles


def _catmull_rom(points: np.ndarray, samples: int = 24) -> np.ndarray:
    """Centripetal Catmull-Rom curve through (k, 2) points -> dense (m, 2) points."""
    if len(points) == 2:
        return points
    padded = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    t = np.linspace(0.0, 1.0, samples, endpoint=False)[:, None]
    out = []
    for i in range(1, len(padded) - 2):
        p0, p1, p2, p3 = padded[i - 1:i + 3]
        # Centripetal knots (alpha 0.5) avoid the cusps and loops uniform knots make.
        d01, d12, d23 = (max(np.linalg.norm(b - a) ** 0.5, 1e-6) for a, b in ((p0, p1), (p1, p2), (p2, p3)))
        m1 = (p2 - p1 + d12 * ((p1 - p0) / d01 - (p2 - p0) / (d01 + d12)))
        m2 = (p2 - p1 + d12 * ((p3 - p2) / d23 - (p3 - p1) / (d12 + d23)))
        h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
        h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
        out.append(h00 * p1 + h10 * m1 + h01 * p2 + h11 * m2)
    out.append(points[-1:])
    return np.vstack(out)


def _resample(curve: np.ndarray, step: float) -> np.ndarray:
    """Points every ~``step`` px along a dense (m, 2) curve, both ends kept."""
    seg = np.linalg.norm(np.diff(curve, axis=0), axis=1)
    arc = np.r_[0.0, np.cumsum(seg)]
    n = max(int(np.ceil(arc[-1] / step)), 1)
    at = np.linspace(0.0, arc[-1], n + 1)
    return np.column_stack([np.interp(at, arc, curve[:, 0]), np.interp(at, arc, curve[:, 1])])


def _pointer_path(points: np.ndarray, corners: tuple[int, ...], step: float) -> np.ndarray:
    """Transformed control points -> pointer positions: a smooth piece between each pair
    of corners, resampled at ``step`` px so fast drawing gives coarse chords."""
    pieces = [_resample(_catmull_rom(points[a:b + 1]), step) for a, b in zip(corners[:-1], corners[1:])]
    return np.vstack([pieces[0]] + [p[1:] for p in pieces[1:]])


def _variation(rng: np.random.Generator) -> dict:
    """Per-drawing shape parameters (units: glyph heights, radians, fractions of the pad)."""
    return {"height": float(rng.uniform(0.25, 0.9)),   # of the pad's side
            "aspect": float(rng.uniform(0.75, 1.3)),   # width multiplier
            "slant": float(rng.normal(0.12, 0.15)),    # shear; > 0 leans right
            "rotation": float(rng.normal(0.0, 0.06)),
            "jitter": float(rng.uniform(0.0, 0.025)),  # control-point noise
            "stroke_shift": float(rng.uniform(0.0, 0.03)),
            "tremor": float(rng.uniform(0.0, 1.0))}   # px, per pointer event


def _shape(style: Style, params: dict, rng: np.random.Generator) -> list[np.ndarray]:
    """The style's control points after aspect, slant, rotation and jitter; glyph
    height 1, centred on 0 (unit-free)."""
    everything = np.vstack([s.points for s in style.strokes])
    low, high = everything.min(axis=0), everything.max(axis=0)
    centre, height = (low + high) / 2, high[1] - low[1]
    c, s = np.cos(params["rotation"]), np.sin(params["rotation"])
    linear = np.array([[c, -s], [s, c]]) @ np.array([[params["aspect"], -params["slant"]], [0.0, 1.0]])
    shapes = []
    for stroke in style.strokes:
        pts = (stroke.points - centre) / height @ linear.T
        pts = pts + rng.normal(0.0, params["jitter"], pts.shape) + rng.normal(0.0, params["stroke_shift"], 2)
        shapes.append(pts)
    return shapes


def _place(shapes: list[np.ndarray], params: dict, pad: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Scale to the drawn height (capped so it fits) and put anywhere on the pad; a third
    of the drawings are pushed against an edge. Returns control points in canvas px."""
    everything = np.vstack(shapes)
    low, high = everything.min(axis=0), everything.max(axis=0)
    room = pad - 2 * EDGE_MARGIN
    scale = min(params["height"] * pad / (high[1] - low[1]), room / (high - low).max())
    extent = (high - low) * scale
    corner = EDGE_MARGIN + rng.uniform(0.0, 1.0, 2) * (room - extent)
    if rng.random() < 1 / 3:  # against one edge
        axis, side = rng.integers(2), rng.integers(2)
        corner[axis] = EDGE_MARGIN + side * (room - extent[axis])
    params.update(scale_px=float(scale), left=float(corner[0]), top=float(corner[1]))
    return [(pts - low) * scale + corner for pts in shapes]


def _inside(paths: list[np.ndarray], pad: float) -> list[np.ndarray]:
    """Shift a drawing whose curves bulge past their control points back inside the
    pad's margin, so the pen's round tip never reaches the pad's edge (a few px at most;
    ``params`` keep the position before the shift)."""
    everything = np.vstack(paths)
    low, high = everything.min(axis=0), everything.max(axis=0)
    shift = np.maximum(EDGE_MARGIN - low, 0.0) - np.maximum(high - (pad - EDGE_MARGIN), 0.0)
    return [p + shift for p in paths]


def plan_drawings(styles: list[Style], variants: int, rng: np.random.Generator,
                  pad: float = 280.0) -> list[Drawing]:
    """``variants`` drawings per style; all randomness drawn here, in a fixed order, so the
    same seed gives the same pointer events. Ordered variant-major, digits interleaved,
    so the first N drawings cover as many digits and styles as possible."""
    if variants < 1:
        raise ValueError(f"variants must be >= 1, got {variants}")
    drawings = []
    for style in styles:
        for variant in range(variants):
            params = _variation(rng)
            speed = str(rng.choice(list(SPEEDS)))
            step = float(rng.uniform(*SPEEDS[speed]))
            pointer = str(rng.choice(POINTERS, p=[0.6, 0.2, 0.2]))
            placed = _place(_shape(style, params, rng), params, pad, rng)
            paths = [_pointer_path(pts, s.corners, step) for s, pts in zip(style.strokes, placed)]
            paths = [p + rng.normal(0.0, params["tremor"], p.shape) for p in _inside(paths, pad)]
            params["step_px"] = step
            drawings.append(Drawing(style.label, style.name, variant, pointer, speed, params, tuple(paths)))
    rank = {}
    for style in styles:
        rank.setdefault(style.label, []).append(style.name)
    return sorted(drawings, key=lambda d: (d.variant, rank[d.label].index(d.style), d.label))


@contextmanager
def serve_app(model_path: Path | None) -> Iterator[str]:
    """The app (CSRF on, as in production) on a free port of 127.0.0.1; yields its URL.

    The pad works without a model: the page then only warns that predictions are off.
    """
    from werkzeug.serving import WSGIRequestHandler, make_server

    from digit_classifier.web import create_app

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs) -> None:  # one line per static file is noise here
            pass

    with tempfile.TemporaryDirectory() as scratch:
        model = model_path if model_path is not None else Path(scratch) / "no-model.pkl"
        app = create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16),
                          "MODEL_PATH": str(model), "WTF_CSRF_ENABLED": True})
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=10)


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
