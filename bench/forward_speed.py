"""Benchmark: single-row forward latency, the batch path vs a serving path that skips zero inputs.

The web app predicts one image per request. ``MLP.predict_proba(x[None])`` runs the one
forward pass all callers share, on a batch of one row. The alternative measured here
gathers only the weight rows of non-zero inputs at each layer (``a[nz] @ W[nz]``): a
digit lights ~15% of its 784 pixels and a ReLU layer ~30% of its units, so it reads a
fraction of the weights. Both are timed on the same real MNIST test rows (prepared with
the model's preprocessing), in interleaved rounds so background load hits them alike,
with OpenBLAS at 1 thread (what one web request gets on a busy server) and at its default.

Usage::

    python bench/forward_speed.py [--model data/model.pkl] [--data-dir data] [--rows 300] [--rounds 7]

Appends to bench/results/forward_speed.json ("latest" and "runs") and forward_speed.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from digit_classifier.config import default_data_dir, default_model_path  # noqa: E402
from digit_classifier.mnist import load_mnist  # noqa: E402
from digit_classifier.model_io import load_model  # noqa: E402
from digit_classifier.nn import MLP, set_blas_threads, softmax  # noqa: E402
from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist  # noqa: E402
from results_file import append_run  # noqa: E402



def dense_row_proba(model: MLP, x: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (10,) of one row by matrix-vector products over every input: separates
    the serving path's gain from gathering and from skipping the batch bookkeeping."""
    a = x
    for i in range(0, len(model.params) - 2, 2):
        a = model.activation.forward(a @ model.params[i] + model.params[i + 1])
    return softmax((a @ model.params[-2] + model.params[-1])[None], temperature)[0]


def sparse_proba(model: MLP, x: np.ndarray, temperature: float) -> np.ndarray:
    """The serving path, ``MLP.predict_proba_one``: gathers the weight rows of non-zero inputs."""
    return model.predict_proba_one(x, temperature)


def batch_proba(model: MLP, x: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities (10,) of one row through the shared batch path (a batch of one)."""
    return model.predict_proba(x[None], temperature)[0]


PATHS = {"batch of one (predict_proba)": batch_proba, "dense row (a @ W)": dense_row_proba,
         "sparse serving path": sparse_proba}


def time_rows(fn, model: MLP, X: np.ndarray, temperature: float) -> float:
    """Mean microseconds per call of ``fn`` over the rows of X (one call per row)."""
    start = time.perf_counter()
    for x in X:
        fn(model, x, temperature)
    return (time.perf_counter() - start) / len(X) * 1e6


def measure(model: MLP, X: np.ndarray, temperature: float, rounds: int) -> dict:
    """{path: {"median_us", "min_us", "rounds_us"}} over interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name in PATHS}
    for name, fn in PATHS.items():
        time_rows(fn, model, X[:20], temperature)                   # warm-up
    for _ in range(rounds):
        for name, fn in PATHS.items():
            samples[name].append(time_rows(fn, model, X, temperature))
    return {name: {"median_us": round(statistics.median(s), 1), "min_us": round(min(s), 1),
                   "rounds_us": [round(v, 1) for v in s]} for name, s in samples.items()}


def run(model_path: Path, data_dir: Path, n_rows: int, rounds: int) -> dict:
    """Time both paths at 1 BLAS thread and at the default count; check they agree."""
    model_dict = load_model(model_path)
    model = MLP.from_dict(model_dict)
    temperature = float(model_dict.get("temperature", 1.0))
    data = load_mnist(data_dir)
    pre = PreprocessConfig.from_dict(model_dict.get("preprocessing") or {})
    X = prepare_mnist(data.test_images[:n_rows], pre)
    agree = max(float(np.abs(fn(model, x, temperature) - batch_proba(model, x, temperature)).max())
                for x in X for fn in PATHS.values())
    default_threads = set_blas_threads(1)
    try:
        one = measure(model, X, temperature, rounds)
    finally:
        set_blas_threads(default_threads)
    default = measure(model, X, temperature, rounds)
    return {"when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model": str(model_path), "layer_sizes": model.layer_sizes, "rows": len(X),
            "rounds": rounds, "load_average": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
            "numpy": np.__version__, "python": platform.python_version(),
            "max_abs_probability_difference": agree,
            "blas_threads": {"1": one, str(default_threads): default}}


def markdown(run_: dict) -> str:
    """One table per run: median (min) microseconds per row for each path and thread count."""
    sizes = "-".join(map(str, run_["layer_sizes"]))
    lines = [f"### {run_['when']} ({sizes}, {run_['rows']} MNIST test rows x {run_['rounds']} rounds, "
             f"load average {run_['load_average']}, {run_['cpus']} CPUs, NumPy {run_['numpy']})", "",
             "| OpenBLAS threads | " + " | ".join(PATHS) + " | batch / sparse |",
             "|---" * (len(PATHS) + 2) + "|"]
    for threads, result in run_["blas_threads"].items():
        cells = [f"{result[name]['median_us']:.0f} µs ({result[name]['min_us']:.0f})" for name in PATHS]
        ratio = result[list(PATHS)[0]]["median_us"] / result[list(PATHS)[-1]]["median_us"]
        lines.append(f"| {threads} | " + " | ".join(cells) + f" | {ratio:.2f} |")
    lines += ["", f"Largest probability difference between the paths: "
                  f"{run_['max_abs_probability_difference']:.1e}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model file (default: the default model path)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    run_ = run(args.model or default_model_path(), args.data_dir or default_data_dir(), args.rows, args.rounds)
    append_run("forward_speed", run_, markdown(run_), "# Single-row forward latency (bench/forward_speed.py)")
    print(markdown(run_))


if __name__ == "__main__":
    main()
