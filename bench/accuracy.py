"""Accuracy benchmark: train a profile (1 or 3 seeds) or evaluate a saved model, write the figures.

    python bench/accuracy.py quick
    python bench/accuracy.py default --seeds 3 [--save-model /tmp/model.pkl]
    python bench/accuracy.py --model data/model.pkl --realistic /tmp/realistic

Reports wall-clock training time (including the one test-set evaluation), test and
validation accuracy, ECE before/after temperature scaling and, for several seeds,
mean / min / max / std. Writes bench/results/accuracy_<name>.json and .md. Timings
depend on machine load: run it with the machine otherwise idle.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from digit_classifier.config import default_data_dir  # noqa: E402


def train_one(profile: str, seed: int, data, save_model: Path | None) -> dict:
    """Train ``profile`` with ``seed``; return its figures (and optionally save the model)."""
    from digit_classifier.training import train_and_package
    from digit_classifier.training import PROFILES

    config = dataclasses.replace(PROFILES[profile], seed=seed)
    started = time.perf_counter()
    model = train_and_package(config, data, profile=profile)
    seconds = time.perf_counter() - started
    if save_model is not None:
        from digit_classifier.model_io import save_model as save

        save(save_model, model)
    m = model["metrics"]
    return {"seed": seed, "seconds": round(seconds, 1), "test_accuracy": m["test_accuracy"],
            "val_accuracy": m["val_accuracy"], "ece_before": m["ece_before"], "ece_after": m["ece_after"],
            "temperature": model["temperature"], "epochs_run": len(m["history"]),
            "selected_epoch": m.get("selected_epoch"), "selected_weights": m.get("selected_weights"),
            "per_class_accuracy": m["per_class_accuracy"]}


def summarise(runs: list[dict]) -> dict:
    """Mean / min / max / std over seeds of the headline figures."""
    out = {}
    for key in ("test_accuracy", "val_accuracy", "seconds", "ece_before", "ece_after"):
        values = [r[key] for r in runs]
        out[key] = {"mean": statistics.fmean(values), "min": min(values), "max": max(values),
                    "std": statistics.stdev(values) if len(values) > 1 else 0.0}
    return out


def realistic_figures(model_path: Path, folder: Path) -> dict:
    """Accuracy of a model file on a folder of images + labels.csv (column file or filename, label).

    An image that the preprocessing rejects counts as an error.
    """
    from digit_classifier.predictor import Predictor

    with open(folder / "labels.csv", newline="") as handle:
        rows = [(row.get("filename") or row["file"], int(row["label"])) for row in csv.DictReader(handle)]
    if not rows:
        raise ValueError(f"{folder / 'labels.csv'} lists no images")
    outcomes = Predictor.from_file(model_path).predict_many([folder / name for name, _ in rows])
    digits = [getattr(o, "digit", None) for o in outcomes]
    return {"realistic_accuracy": sum(d == label for d, (_, label) in zip(digits, rows)) / len(rows),
            "realistic_count": len(rows), "realistic_rejected": sum(d is None for d in digits)}


def evaluate_saved(model_path: Path, data_dir: Path, realistic: Path | None) -> dict:
    """Test-set (and realistic-set) figures of an existing model file."""
    from digit_classifier.cli.jobs import evaluate_model_file

    started = time.perf_counter()
    results = evaluate_model_file(model_path, data_dir)
    if realistic is not None:
        results.update(realistic_figures(model_path, realistic))
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def environment() -> dict:
    """Machine facts that the figures depend on."""
    import numpy as np

    load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    return {"python": platform.python_version(), "numpy": np.__version__, "cpus": os.cpu_count(),
            "load_avg_1min_at_end": load, "machine": platform.machine(),
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def markdown(name: str, result: dict) -> str:
    """A short human-readable summary of ``result``."""
    lines = [f"# Accuracy benchmark: {name}", "", f"Run {result['environment']['date']} on "
             f"{result['environment']['cpus']} CPUs (1-min load at end: "
             f"{result['environment']['load_avg_1min_at_end']}; OpenBLAS threads: "
             f"{result['environment']['openblas_threads']}).", ""]
    if "runs" in result:
        lines += ["| seed | time (s) | test acc | val acc | ECE before | ECE after | T | epochs |",
                  "|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['seed']} | {r['seconds']} | {100 * r['test_accuracy']:.2f}% | "
                  f"{100 * r['val_accuracy']:.2f}% | {100 * r['ece_before']:.2f}% | "
                  f"{100 * r['ece_after']:.2f}% | {r['temperature']:.3f} | {r['epochs_run']} |"
                  for r in result["runs"]]
        s = result["summary"]["test_accuracy"]
        lines += ["", f"Test accuracy over {len(result['runs'])} seed(s): mean {100 * s['mean']:.2f}%, "
                  f"min {100 * s['min']:.2f}%, max {100 * s['max']:.2f}%, std {100 * s['std']:.2f} points."]
    if "evaluation" in result:
        e = result["evaluation"]
        lines += ["", f"- model: {e['model']}", f"- test accuracy: {100 * e['test_accuracy']:.2f}%",
                  f"- test ECE: {100 * e['ece_before']:.2f}% before, {100 * e['ece_after']:.2f}% after temperature scaling"]
        if "realistic_accuracy" in e:
            lines.append(f"- realistic set: {100 * e['realistic_accuracy']:.2f}% of "
                         f"{e['realistic_count']} images ({e['realistic_rejected']} rejected)")
    return "\n".join(lines) + "\n"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("profile", nargs="?", default="quick", help="quick | default | best")
    p.add_argument("--seeds", type=int, choices=(1, 3), default=None,
                   help="seeds to train (default: 3 for 'default', else 1)")
    p.add_argument("--data-dir", type=Path, default=default_data_dir())
    p.add_argument("--out-dir", type=Path, default=HERE / "results")
    p.add_argument("--save-model", type=Path, default=None, help="save the first seed's model here")
    p.add_argument("--model", type=Path, default=None, help="evaluate this model file instead of training")
    p.add_argument("--realistic", type=Path, default=None,
                   help="folder with images + labels.csv (bench/realistic_set.py) to evaluate on too")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.model is not None:
        name = f"model_{args.model.stem}"
        result = {"evaluation": evaluate_saved(args.model, args.data_dir, args.realistic)}
    else:
        from digit_classifier.mnist import load_mnist

        data = load_mnist(args.data_dir)
        seeds = args.seeds or (3 if args.profile == "default" else 1)
        runs = []
        for i in range(seeds):
            runs.append(train_one(args.profile, i, data, args.save_model if i == 0 else None))
            print(json.dumps({k: v for k, v in runs[-1].items() if k != "per_class_accuracy"}), flush=True)
        name = args.profile
        result = {"profile": args.profile, "runs": runs, "summary": summarise(runs)}
        if args.realistic is not None and args.save_model is not None:
            result["evaluation"] = evaluate_saved(args.save_model, args.data_dir, args.realistic)
    result["environment"] = environment()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    (args.out_dir / f"accuracy_{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out_dir / f"accuracy_{name}.md").write_text(markdown(name, result))
    print(markdown(name, result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
