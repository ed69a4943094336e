"""Whole jobs the CLI runs on a saved model: evaluate a model file (MNIST test, image folders, report)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

from digit_classifier.util.jsonsafe import json_safe
from digit_classifier.mnist import load_mnist
from digit_classifier.predictor import Predictor
from digit_classifier.preprocessing import prepare_mnist
from digit_classifier.training.evaluation import as_test_metrics, evaluate


def evaluate_model_file(model_path: Path, data_dir: Path, *, report_dir: Path | None = None,
                        realistic_dir: Path | Sequence[Path] | None = None) -> dict:
    """Measure a saved model on the MNIST test set (and optionally realistic image sets).

    ``realistic_dir`` is one folder or a sequence of folders (see :func:`realistic_accuracy`).
    Returns a JSON-safe dict with the model file's metric names (docs/training.md):
    ``test_accuracy``, ``per_class_accuracy`` (10 floats), ``confusion_matrix`` (10x10 ints,
    rows = true digit), ``ece_before``, ``ece_after``, ``nll_before``, ``nll_after`` and, with
    realistic sets, ``realistic_sets`` ({set name: accuracy}, names from the folder names)
    plus ``realistic_accuracy``, ``realistic_count``, ``realistic_rejected`` of the first set.
    With ``report_dir``, also writes the report there and adds ``report`` (path of report.md).
    """
    predictor = Predictor.from_file(model_path)
    data = load_mnist(data_dir)
    X_test = prepare_mnist(data.test_images, predictor.preprocess_config)
    metrics = evaluate(predictor.network, X_test, data.test_labels, predictor.temperature)
    results = {"model": str(model_path), **json_safe(as_test_metrics(metrics))}
    sets = {name: realistic_accuracy(predictor, folder)
            for name, folder in realistic_set_names(realistic_dir).items()}
    if sets:
        results.update(next(iter(sets.values())))
        results["realistic_sets"] = {name: values["realistic_accuracy"] for name, values in sets.items()}
    if report_dir is not None:
        from digit_classifier.training.report import write_report

        write_report(predictor.model, X_test, data.test_labels, report_dir, realistic_sets=sets)
        results["report"] = str(Path(report_dir) / "report.md")
    return results


def realistic_set_names(folders: Path | Sequence[Path] | None) -> dict[str, Path]:
    """{display name: folder} in the given order; the name is the folder's own name, or the
    whole path as given when two folders share a name. Raises ValueError on a repeated folder."""
    if folders is None:
        return {}
    folders = [Path(folders)] if isinstance(folders, (str, Path)) else [Path(f) for f in folders]
    names: dict[str, Path] = {}
    for folder in folders:
        name = folder.resolve().name or str(folder)
        if name in names:
            if names[name].resolve() == folder.resolve():
                raise ValueError(f"realistic set {str(folder)!r} is given twice")
            name = str(folder)
        names[name] = folder
    return names


def realistic_accuracy(predictor: Predictor, folder: Path) -> dict:
    """Accuracy on a folder of images listed in ``labels.csv`` (columns ``filename,label``).

    An image the preprocessing rejects counts as an error. Returns ``realistic_accuracy``,
    ``realistic_count`` and ``realistic_rejected``.
    """
    folder = Path(folder)
    with open(folder / "labels.csv", newline="") as handle:
        rows = [(row["filename"], int(row["label"])) for row in csv.DictReader(handle)]
    if not rows:
        raise ValueError(f"{folder / 'labels.csv'} lists no images")
    outcomes = predictor.predict_many(folder / name for name, _ in rows)
    correct = sum(getattr(o, "digit", None) == label for o, (_, label) in zip(outcomes, rows))
    rejected = sum(not hasattr(o, "digit") for o in outcomes)
    return {"realistic_accuracy": correct / len(rows), "realistic_count": len(rows),
            "realistic_rejected": rejected}

