"""Side by side: the package's preprocessing ("ours") vs the plain baseline, same model, same run.

For every set folder (and every ``kind`` in its labels.csv) reports, for both pipelines,
accuracy (refusals count as wrong), refusal rate, and the ``confident`` flag's precision
(share right among answers flagged confident) and coverage (share flagged). "ours" is
``Predictor.predict_many`` (``preprocess_image``, refusals are ``ImageError``); "plain" is
``bench/plain_pipeline.py`` then the same network and temperature (``predict_arrays``),
flagged confident at the Predictor's ``confidence_threshold``.

CLI: ``python bench/compare_pipelines.py --model MODEL --sets DIR [DIR ...] [--split dev]
[--out bench/results]``. A DIR is a flat folder with labels.csv (``bench/canvas_digits``),
a set folder with ``<split>/labels.csv``, or a folder of such set folders
(``bench/eval_sets/make.py --out``). Writes ``compare_pipelines_<split>.json`` (figures and
per-image results) and ``.md`` (a table) into ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # bench/ is a folder of scripts, not a package

from plain_pipeline import plain_preprocess  # noqa: E402

from digit_classifier.predictor import Predictor  # noqa: E402

CHUNK = 250
#: Per-image columns of the JSON report's ``images`` rows.
IMAGE_COLUMNS = ("set", "file", "label", "kind", "ours_digit", "ours_prob", "ours_confident",
                 "ours_refusal", "plain_digit", "plain_prob", "plain_confident", "plain_refusal",
                 "ours_candidate")


def find_sets(roots: list[Path], split: str) -> dict[str, Path]:
    """Set name -> folder holding its labels.csv, for each root (see the module doc)."""
    found = {}
    for root in roots:
        if (root / "labels.csv").is_file():
            found[root.name] = root
        elif (root / split / "labels.csv").is_file():
            found[root.name] = root / split
        else:
            for child in sorted(p for p in root.iterdir() if p.is_dir()):
                if (child / split / "labels.csv").is_file():
                    found[child.name] = child / split
                elif (child / "labels.csv").is_file():
                    found[child.name] = child
    if not found:
        raise SystemExit(f"no labels.csv found under {[str(r) for r in roots]} (split {split!r})")
    return found


def read_labels(folder: Path) -> list[dict]:
    """Rows of ``folder/labels.csv`` as dicts: file, label (int), kind ("all" if absent)."""
    with open(folder / "labels.csv", newline="") as handle:
        return [{"file": r["filename"], "label": int(r["label"]), "kind": r.get("kind") or "all"}
                for r in csv.DictReader(handle)]


def run_ours(predictor: Predictor, paths: list[Path]) -> list[dict]:
    """One result dict per image (digit, prob, confident, refusal, the winning candidate)
    through ``predict_many``."""
    out = []
    for outcome in predictor.predict_many(paths):
        if hasattr(outcome, "digit"):
            out.append({"digit": outcome.digit, "prob": round(outcome.probability, 5),
                        "confident": outcome.confident, "refusal": None, "candidate": outcome.candidate})
        else:
            out.append({"digit": None, "prob": None, "confident": False,
                        "refusal": getattr(outcome, "code", type(outcome).__name__), "candidate": None})
    return out


def run_plain(predictor: Predictor, paths: list[Path]) -> list[dict]:
    """One result dict per image through ``plain_preprocess`` and one batched forward pass."""
    rows, out = [], []
    for path in paths:
        try:
            rows.append(plain_preprocess(path, predictor.preprocess_config))
            out.append(None)
        except (ValueError, OSError) as error:
            out.append({"digit": None, "prob": None, "confident": False, "refusal": str(error)[:80]})
    probs = iter(predictor.predict_arrays(np.stack(rows)) if rows else [])
    for i, slot in enumerate(out):
        if slot is None:
            p = next(probs)
            digit = int(np.argmax(p))
            out[i] = {"digit": digit, "prob": round(float(p[digit]), 5),
                      "confident": bool(p[digit] >= predictor.confidence_threshold), "refusal": None}
    return out


def figures(items: list[dict], pipeline: str) -> dict:
    """Accuracy, refusal rate, confident precision and coverage of ``pipeline`` over ``items``."""
    n = len(items)
    right = np.array([it[pipeline]["digit"] == it["label"] for it in items])
    refused = np.array([it[pipeline]["refusal"] is not None for it in items])
    flagged = np.array([it[pipeline]["confident"] for it in items])
    winners = Counter(it[pipeline].get("candidate") for it in items) - Counter({None: n})
    return {"n": n, "accuracy": float(right.mean()), "refused": float(refused.mean()),
            "refused_count": int(refused.sum()),
            "confident_precision": float(right[flagged].mean()) if flagged.any() else None,
            "confident_coverage": float(flagged.mean()), "winners": dict(winners)}


def summarise(items: list[dict]) -> dict:
    """{kind: {ours: figures, plain: figures}} with an "all" entry first."""
    kinds = ["all"] + sorted({it["kind"] for it in items} - {"all"})
    out = {}
    for kind in kinds:
        subset = items if kind == "all" else [it for it in items if it["kind"] == kind]
        out[kind] = {p: figures(subset, p) for p in ("ours", "plain")}
    return out


def evaluate_set(predictor: Predictor, name: str, folder: Path) -> list[dict]:
    """Per-image results of both pipelines for one set folder (progress on stderr)."""
    rows = read_labels(folder)
    items = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        paths = [folder / r["file"] for r in chunk]
        for row, ours, plain in zip(chunk, run_ours(predictor, paths), run_plain(predictor, paths)):
            items.append({"set": name, **row, "ours": ours, "plain": plain})
        print(f"  {name}: {len(items)}/{len(rows)}", file=sys.stderr)
    return items


def to_json(report: dict, items: list[dict]) -> str:
    """``report`` as indented JSON plus ``image_columns`` and ``images``, one row per line
    (values in ``IMAGE_COLUMNS`` order), so the per-image results stay small and greppable."""
    rows = [[it["set"], it["file"], it["label"], it["kind"]]
            + [it[p][k] for p in ("ours", "plain") for k in ("digit", "prob", "confident", "refusal")]
            + [it["ours"]["candidate"]] for it in items]
    head = json.dumps({**report, "image_columns": list(IMAGE_COLUMNS)}, indent=1)
    body = ",\n  ".join(json.dumps(row) for row in rows)
    return head[:-2] + ',\n "images": [\n  ' + body + "\n ]\n}\n"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def markdown(report: dict) -> str:
    """The Markdown table of ``report`` (one row per set and kind)."""
    lines = [f"# Pipelines side by side: {report['split']} split",
             "",
             f"Model `{report['model']}` (sha256 {report['model_sha256'][:12]}), confidence "
             f"threshold {report['confidence_threshold']}, run {report['run_at']}. Accuracy counts "
             "refusals as wrong; conf = precision / coverage of the `confident` flag.",
             "",
             "Folders: " + ", ".join(f"`{f}`" for f in report["folders"].values())
             + " (eval sets from `bench/eval_sets/make.py --out DIR`, defaults n=1000, seed 0).",
             "",
             "| set | kind | n | ours acc | ours refused | ours conf | plain acc | plain refused | plain conf | ours: winning candidates |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for name, kinds in report["sets"].items():
        for kind, f in kinds.items():
            o, p = f["ours"], f["plain"]
            label = f"**{kind}**" if kind == "all" else kind
            lines.append(f"| {name} | {label} | {o['n']} | {_pct(o['accuracy'])} | {_pct(o['refused'])} | "
                         f"{_pct(o['confident_precision'])} / {_pct(o['confident_coverage'])} | "
                         f"{_pct(p['accuracy'])} | {_pct(p['refused'])} | "
                         f"{_pct(p['confident_precision'])} / {_pct(p['confident_coverage'])} | "
                         + ", ".join(f"{w} {c}" for w, c in sorted(o["winners"].items())) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """CLI: evaluate every set with both pipelines; write the JSON and Markdown reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--sets", type=Path, nargs="+", required=True)
    parser.add_argument("--split", choices=("dev", "test"), default="dev")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    predictor = Predictor.from_file(args.model)
    sets = find_sets(args.sets, args.split)
    started = time.perf_counter()
    items = []
    for name, folder in sets.items():
        print(f"{name} ({folder})", file=sys.stderr)
        items += evaluate_set(predictor, name, folder)
    report = {"split": args.split, "model": str(args.model), "model_sha256": predictor.checksum,
              "confidence_threshold": predictor.confidence_threshold,
              "run_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "seconds": round(time.perf_counter() - started, 1),
              "folders": {name: str(folder) for name, folder in sets.items()},
              "sets": {name: summarise([it for it in items if it["set"] == name]) for name in sets}}
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"compare_pipelines_{args.split}"
    stem.with_suffix(".json").write_text(to_json(report, items))
    stem.with_suffix(".md").write_text(markdown(report))
    print(markdown(report), file=sys.stderr)
    print(f"wrote {stem}.json and .md", file=sys.stderr)


if __name__ == "__main__":
    main()
