"""The hand-drawn canvas set (bench/canvas_digits): complete, preprocessable, recognised,
and reproducible by bench/canvas_digits.py replaying its strokes on the real drawing pad."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SET = REPO / "bench" / "canvas_digits"
SCRIPT = REPO / "bench" / "canvas_digits.py"
# Measured on the 204 committed drawings: quick profile 96.1% (196/204; MNIST test 98.1%),
# default profile 97.5-98.5%. Three points below, so a preprocessing regression on pad
# drawings (7 more misread) fails this.
QUICK_MODEL_MIN_ACCURACY = 0.93


def _load_script():
    """bench/canvas_digits.py as a module (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("canvas_digits", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(sys.modules[spec.name])
    return sys.modules[spec.name]


def _rows(folder: Path) -> list[dict]:
    with open(folder / "labels.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["filename", "label"]
        return list(reader)


def test_labels_cover_every_png_and_every_digit():
    rows = _rows(SET)
    names = [row["filename"] for row in rows]
    assert len(names) == len(set(names))
    assert set(names) == {path.name for path in SET.glob("*.png")}
    counts = Counter(int(row["label"]) for row in rows)
    assert sorted(counts) == list(range(10))
    assert min(counts.values()) >= 10, counts
    assert all(row["filename"].startswith(f"{row['label']}_") for row in rows)


def test_set_stays_small():
    assert sum(path.stat().st_size for path in SET.iterdir()) < 2_000_000


def test_every_drawing_preprocesses():
    from digit_classifier.preprocessing import preprocess_image

    for row in _rows(SET):
        x = preprocess_image(SET / row["filename"])
        assert x.shape == (784,) and x.dtype == np.float32, row["filename"]
        assert 0.0 <= x.min() and x.max() <= 1.0 and x.sum() > 10.0, row["filename"]


def test_quick_model_recognises_the_drawings(quick_model_path):
    from digit_classifier.cli.jobs import realistic_accuracy
    from digit_classifier.predictor import Predictor

    result = realistic_accuracy(Predictor.from_file(quick_model_path), SET)
    assert result["realistic_count"] == len(_rows(SET))
    assert result["realistic_rejected"] == 0
    assert result["realistic_accuracy"] >= QUICK_MODEL_MIN_ACCURACY, result


def test_committed_set_is_the_seed_0_plan():
    """The committed drawings are what the committed stroke file gives with the default
    seed and variants (so editing the strokes without regenerating fails here)."""
    script = _load_script()
    plan = script.plan_drawings(script.load_styles(), 6, np.random.default_rng(0))
    with open(SET / "drawings.csv", newline="") as handle:
        recorded = list(csv.DictReader(handle))
    assert [d.filename for d in plan] == [row["filename"] for row in recorded]
    for drawing, row in zip(plan, recorded):
        assert (drawing.pointer, drawing.speed) == (row["pointer"], row["speed"])
        assert sum(len(p) for p in drawing.paths) == int(row["events"])
        assert np.isclose(drawing.params["left"], float(row["left"]), rtol=1e-3, atol=0.05)


def test_plan_is_reproducible_and_varied():
    script = _load_script()
    styles = script.load_styles()
    first, again = (script.plan_drawings(styles, 3, np.random.default_rng(5)) for _ in range(2))
    other = script.plan_drawings(styles, 3, np.random.default_rng(6))
    flat = [np.vstack(d.paths) for d in first]
    assert all(np.array_equal(a, np.vstack(d.paths)) for a, d in zip(flat, again))
    assert not all(np.array_equal(a, np.vstack(d.paths)) for a, d in zip(flat, other))
    assert all(p.min() >= 1.0 and p.max() <= 279.0 for p in flat)
    assert Counter(s.label for s in styles).most_common()[-1][1] >= 3
    heights = np.array([np.ptp(p[:, 1]) for p in flat]) / 280
    assert heights.min() < 0.35 and heights.max() > 0.75
    assert {d.pointer for d in first} == {"mouse", "pen", "touch"}
    assert {d.speed for d in first} == {"slow", "medium", "fast"}


@pytest.mark.slow
def test_script_draws_on_the_real_pad(tmp_path, quick_model_path):
    """Run the script on 6 drawings in Chromium; the ink lands where the plan put it and
    matches the committed drawings of the same seed (up to anti-aliasing)."""
    out = tmp_path / "set"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--limit", "6",
                    "--model", str(quick_model_path)], check=True, timeout=300)
    rows = _rows(out)
    assert [int(row["label"]) for row in rows] == [0, 1, 2, 3, 4, 5]
    assert {row["filename"] for row in rows} == {path.name for path in out.glob("*.png")}
    script = _load_script()
    plan = script.plan_drawings(script.load_styles(), 6, np.random.default_rng(0))[:6]
    for drawing in plan:
        ink = np.asarray(Image.open(out / drawing.filename).convert("L")) < 128
        assert ink.shape == (280, 280)
        ys, xs = np.nonzero(ink)
        points = np.vstack(drawing.paths)
        # Ink reaches half the 22 px line width past the pointer path, no further.
        expected = np.r_[points.min(axis=0) - 11, points.max(axis=0) + 11]
        np.testing.assert_allclose([xs.min(), ys.min(), xs.max(), ys.max()], expected, atol=3)
        committed = np.asarray(Image.open(SET / drawing.filename).convert("L")) < 128
        assert np.mean(ink != committed) < 0.01, drawing.filename
