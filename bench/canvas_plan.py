"""Plan the hand-drawn canvas digits: authored pen paths + seeded per-drawing variation.

``bench/canvas_strokes.json`` holds several writing styles per digit as polylines or
smooth (Catmull-Rom) curves in a unit square. ``plan_drawings`` turns every style into
several drawings, each with its own place on the pad, size, aspect, slant, rotation,
control-point jitter, tremor, speed (pixels between pointer events) and pointer kind,
all drawn from one ``np.random.Generator`` in a fixed order: the same seed gives the
same pointer events. ``bench/canvas_digits.py`` replays them on the real page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
STROKES_FILE = HERE / "canvas_strokes.json"
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
