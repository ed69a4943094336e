"""Benchmark: milliseconds per ``preprocess_image`` call on representative uploads.

Inputs: a real 28x28 MNIST digit PNG, a 280x280 grey drawing-pad PNG, a 280x280 RGBA
browser-canvas PNG, a ~200x200 photo-style JPEG from ``bench/realistic_set.py``, and
1000x1000 and 4000x3000 phone-photo JPEGs (``tests/support/images.py``). Each input is
timed over many calls (median and 90th percentile per call). Several implementations
(``--impl module``, e.g. a saved copy of an older version) are timed in interleaved
rounds, so background load hits them alike.

Usage::

    python bench/preprocess_speed.py [--seconds 2] [--impl digit_classifier.preprocessing ...]

Appends the figures to bench/results/preprocess_speed.json ("latest" and "runs") and
preprocess_speed.md (one table per run) and prints them.
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from realistic_set import render_one  # noqa: E402
from results_file import append_run  # noqa: E402
from tests.support import images as factory  # noqa: E402

DEFAULT_IMPL = "digit_classifier.preprocessing"


def _png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def _photo_200(digit: np.ndarray) -> bytes:
    """A realistic_set photo of ``digit`` whose longer side is 180-220 px (first seed that fits)."""
    for seed in range(1000):
        data = render_one(digit, np.random.default_rng(seed))
        if data[:4] != b"\x89PNG" and 180 <= max(Image.open(io.BytesIO(data)).size) <= 220:
            return data
    raise RuntimeError("no 180-220 px photo among 1000 seeds")


def build_inputs() -> dict[str, bytes]:
    """Name -> encoded image bytes, in increasing size."""
    mnist = factory.mnist_digit(0)[0]
    return {
        "mnist_28x28_png": _png(mnist),
        "pad_280x280_grey_png": factory.digit_png_bytes(3),
        "canvas_280x280_rgba_png": factory.rgba_canvas_png_bytes(2),
        "photo_200px_jpeg": _photo_200(factory.mnist_digit(1)[0]),
        "photo_1000x1000_jpeg": factory.huge_jpeg_bytes(size=(1000, 1000)),
        "photo_4000x3000_jpeg": factory.huge_jpeg_bytes(),
    }


def time_calls(fn, data: bytes, seconds: float, min_calls: int = 15,
               max_calls: int = 2000) -> list[float]:
    """Per-call wall times (ms) of ``fn(data)``: calls until ``seconds`` pass (bounded)."""
    fn(data)  # warm-up (imports, caches)
    times: list[float] = []
    stop = time.perf_counter() + seconds
    while len(times) < max_calls and (len(times) < min_calls or time.perf_counter() < stop):
        t0 = time.perf_counter()
        fn(data)
        times.append((time.perf_counter() - t0) * 1000.0)
    return times


def run(impls: list[str], seconds: float, rounds: int) -> dict:
    """Time every implementation on every input in ``rounds`` interleaved rounds."""
    inputs = build_inputs()
    fns = {name: importlib.import_module(name).preprocess_image for name in impls}
    samples = {impl: {k: [] for k in inputs} for impl in impls}
    for _ in range(rounds):
        for key, data in inputs.items():
            for impl, fn in fns.items():
                samples[impl][key] += time_calls(fn, data, seconds / rounds)
    table = {impl: {key: {"median_ms": round(statistics.median(t), 3),
                          "p90_ms": round(float(np.percentile(t, 90)), 3),
                          "calls": len(t)}
                    for key, t in per.items()} for impl, per in samples.items()}
    sizes = {k: Image.open(io.BytesIO(v)).size for k, v in inputs.items()}
    return {"when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "python": platform.python_version(), "numpy": np.__version__,
            "pillow": Image.__version__, "cpus": os.cpu_count(),
            "load_average": round(os.getloadavg()[0], 1), "seconds_per_input": seconds,
            "sizes": {k: list(v) for k, v in sizes.items()}, "results": table}


def markdown(run_: dict) -> str:
    """One markdown table for a run (rows: inputs; columns: median / p90 per impl)."""
    impls = list(run_["results"])
    head = "| input | " + " | ".join(f"{i} median ms | {i} p90 ms" for i in impls) + " |"
    lines = [f"### {run_['when']} (load average {run_['load_average']}, "
             f"{run_['cpus']} CPUs, NumPy {run_['numpy']}, Pillow {run_['pillow']})", "",
             head, "|---" * (1 + 2 * len(impls)) + "|"]
    for key in run_["sizes"]:
        cells = [f"{run_['results'][i][key]['median_ms']:.2f} | {run_['results'][i][key]['p90_ms']:.2f}"
                 for i in impls]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def save(run_: dict) -> None:
    """Append ``run_`` to bench/results/preprocess_speed.json and .md."""
    append_run("preprocess_speed", run_, markdown(run_))


def main(argv: list[str] | None = None) -> None:
    """CLI: time the implementations, print and save the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", action="append", default=None,
                        help=f"module with preprocess_image (repeatable; default {DEFAULT_IMPL})")
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget per input and impl")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.impl or [DEFAULT_IMPL], args.seconds, args.rounds)
    print(markdown(result))
    if not args.no_save:
        save(result)


if __name__ == "__main__":
    main()
