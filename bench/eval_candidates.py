"""Accuracy, refusals and the ``confident`` flag's precision and coverage of the Predictor on labelled folders.

Each folder holds ``labels.csv`` (``filename,label[,kind]``). Every picture goes through
``Predictor.predict_many`` (all candidates scored, the winner chosen by
``predictor.choose_candidate``); refusals count as wrong. Reports per folder and kind:
accuracy, refusal rate, share right among answers flagged confident, coverage (share
flagged), and which candidate won how often.

Usage::

    python bench/eval_candidates.py --model MODEL DIR [DIR ...]

Writes bench/results/eval_candidates.json and .md (this run) and prints the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from digit_classifier.predictor import Predictor  # noqa: E402

RESULTS = REPO_ROOT / "bench" / "results"
CHUNK = 200


def _name(folder: Path) -> str:
    return f"{folder.parent.name}/{folder.name}" if folder.name in ("dev", "test") else folder.name


def evaluate(predictor: Predictor, folder: Path) -> dict:
    """Figures for one folder: {kind: {n, accuracy, refused, confident_right, coverage, winners}}."""
    with open(folder / "labels.csv", newline="") as fh:
        rows = [(r["filename"], int(r["label"]), r.get("kind") or "") for r in csv.DictReader(fh)]
    outcomes = []
    for i in range(0, len(rows), CHUNK):
        outcomes += predictor.predict_many([folder / name for name, _, _ in rows[i:i + CHUNK]])
    tally: dict[str, Counter] = defaultdict(Counter)
    for (_, label, kind), o in zip(rows, outcomes):
        for key in {"all", kind or "all"}:
            t = tally[key]
            t["n"] += 1
            if not hasattr(o, "digit"):
                t["refused"] += 1
                continue
            t["right"] += o.digit == label
            t["confident"] += o.confident
            t["confident_right"] += o.confident and o.digit == label
            t["won_" + o.candidate] += 1
    return {k: {"n": t["n"], "accuracy": t["right"] / t["n"], "refused": t["refused"] / t["n"],
                "confident_right": t["confident_right"] / max(t["confident"], 1),
                "coverage": t["confident"] / t["n"],
                "winners": {w[4:]: c for w, c in t.items() if w.startswith("won_")}}
            for k, t in sorted(tally.items())}


def markdown(run: dict) -> str:
    """One table: a row per folder and kind."""
    lines = [f"### {run['when']} model {run['model']}", "",
             "| set | kind | n | accuracy | refused | confident right | coverage | winners |",
             "|---|---|---|---|---|---|---|---|"]
    for name, kinds in run["sets"].items():
        for kind, f in kinds.items():
            lines.append(f"| {name} | {kind} | {f['n']} | {100 * f['accuracy']:.2f}% | "
                         f"{100 * f['refused']:.1f}% | {100 * f['confident_right']:.1f}% | "
                         f"{100 * f['coverage']:.1f}% | {f['winners']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """CLI: evaluate, print and save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("folders", nargs="+", type=Path)
    args = parser.parse_args(argv)
    predictor = Predictor.from_file(args.model)
    run = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "model": args.model.name,
           "confidence_threshold": predictor.confidence_threshold,
           "sets": {_name(f): evaluate(predictor, f) for f in args.folders}}
    print(markdown(run))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "eval_candidates.json").write_text(json.dumps(run, indent=1) + "\n")
    (RESULTS / "eval_candidates.md").write_text(markdown(run))


if __name__ == "__main__":
    main()
