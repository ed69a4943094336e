"""Evaluation report: PNG plots (curves, confusion matrix, mistakes, reliability) and report.md.

matplotlib is an optional extra (``pip install 'digit-classifier[report]'``); it is imported
inside :func:`write_report` and used through ``matplotlib.figure.Figure`` with the Agg
canvas, never through pyplot, so no global backend state is touched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from digit_classifier.calibration import reliability_bins, softmax
from digit_classifier.nn import MLP
from digit_classifier.training import evaluate

MAX_MISTAKES_SHOWN = 48


def _figure_class():
    """matplotlib's Figure class, or ImportError saying how to install the extra."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("the evaluation report needs matplotlib: "
                          "pip install 'digit-classifier[report]'") from error
    return Figure


def write_report(model_dict: dict, X_test: np.ndarray, y_test: np.ndarray, out_dir,
                 realistic: dict | None = None) -> Path:
    """Write plots and ``report.md`` for a model into ``out_dir`` (created if needed).

    model_dict -- a model-file dict (see model_io); X_test (n, 784) float32 prepared with
    the model's preprocessing; y_test (n,) int; realistic -- optional dict with
    ``realistic_accuracy``, ``realistic_count``, ``realistic_rejected``.
    Returns the path of report.md.
    """
    Figure = _figure_class()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    y_test = np.asarray(y_test).astype(np.int64)
    model = MLP.from_dict(model_dict)
    temperature = float(model_dict.get("temperature", 1.0))
    logits = model.predict_logits(X_test).astype(np.float64)
    metrics = evaluate(model, X_test, y_test, temperature)
    history = (model_dict.get("metrics") or {}).get("history") or []
    plots = {
        "curves.png": _plot_curves(Figure, history),
        "confusion.png": _plot_confusion(Figure, np.array(metrics["confusion_matrix"])),
        "mistakes.png": _plot_mistakes(Figure, X_test, y_test, softmax(logits, temperature)),
        "reliability.png": _plot_reliability(Figure, logits, y_test, temperature),
    }
    for name, fig in plots.items():
        if fig is not None:
            fig.savefig(out / name, dpi=110, bbox_inches="tight")
    path = out / "report.md"
    path.write_text(_markdown(model_dict, metrics, realistic,
                              [n for n, f in plots.items() if f is not None]), encoding="utf-8")
    return path


def _plot_curves(Figure, history: list[dict]):
    """Loss and accuracy per epoch (None without a history)."""
    if not history:
        return None
    fig = Figure(figsize=(10, 3.8))
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = [h["epoch"] for h in history]
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train (during the epoch)")
    if all(np.isfinite(h.get("val_loss", np.nan)) for h in history):
        ax_loss.plot(epochs, [h["val_loss"] for h in history], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy (nats)", title="Loss", yscale="log")
    ax_acc.plot(epochs, [100 * h["train_accuracy"] for h in history], label="train (during the epoch)")
    ax_acc.plot(epochs, [100 * h["val_accuracy"] for h in history], label="validation")
    if all(h.get("ema_val_accuracy") is not None for h in history):
        ax_acc.plot(epochs, [100 * h["ema_val_accuracy"] for h in history], label="validation (EMA)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy",
               ylim=(max(90.0, 100 * min(h["val_accuracy"] for h in history) - 1), 100))
    for ax in (ax_loss, ax_acc):
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    return fig


def _plot_confusion(Figure, confusion: np.ndarray):
    """Confusion matrix, colour on a log scale so the rare mistakes show."""
    fig = Figure(figsize=(6.4, 5.6))
    ax = fig.subplots()
    im = ax.imshow(np.log10(confusion + 1), cmap="Blues")
    for (i, j), v in np.ndenumerate(confusion):
        if v:
            ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                    color="white" if i == j else "black")
    ax.set(xticks=range(10), yticks=range(10), xlabel="predicted digit", ylabel="true digit",
           title="Confusion matrix (test set)")
    fig.colorbar(im, ax=ax, label="log10(count + 1)")
    return fig


def _plot_mistakes(Figure, X: np.ndarray, y: np.ndarray, probs: np.ndarray):
    """Grid of the most confident misclassified test digits: true, predicted, probability."""
    pred = probs.argmax(1)
    wrong = np.flatnonzero(pred != y)
    if wrong.size == 0:
        return None
    wrong = wrong[np.argsort(-probs[wrong, pred[wrong]])][:MAX_MISTAKES_SHOWN]
    cols = 12
    rows = -(-len(wrong) // cols)
    fig = Figure(figsize=(cols * 0.95, rows * 1.15))
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, wrong):
        ax.imshow(X[i].reshape(28, 28), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{y[i]}→{pred[i]} {probs[i, pred[i]]:.2f}", fontsize=7)
    fig.suptitle("Misclassified test digits (true→predicted, probability), most confident first")
    return fig


def _plot_reliability(Figure, logits: np.ndarray, y: np.ndarray, temperature: float):
    """Reliability diagram before and after temperature scaling."""
    fig = Figure(figsize=(10, 4))
    for ax, (title, t) in zip(fig.subplots(1, 2), [("before (T = 1)", 1.0),
                                                   (f"after (T = {temperature:.3f})", temperature)]):
        bins = reliability_bins(softmax(logits, t), y, n_bins=15)
        centres = (bins.edges[:-1] + bins.edges[1:]) / 2
        used = bins.count > 0
        width = bins.edges[1] - bins.edges[0]
        ax.bar(centres[used], bins.accuracy[used], width=width * 0.9, label="accuracy", alpha=0.8)
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
        ax.plot(bins.confidence[used], bins.accuracy[used], "o", ms=3, color="C3",
                label="(mean confidence, accuracy)")
        ax.set(xlabel="confidence", ylabel="accuracy", title=f"Reliability {title}",
               xlim=(0, 1), ylim=(0, 1))
        ax.legend(loc="upper left", fontsize=8)
    return fig


def _markdown(model: dict, metrics: dict, realistic: dict | None, images: list[str]) -> str:
    """The Markdown summary embedding the plots."""
    stored = model.get("metrics") or {}
    lines = [f"# Evaluation report: {model.get('name', 'model')} {model.get('version', '')}", "",
             f"- created: {model.get('created_at', '?')}",
             f"- layers: {model.get('layer_sizes')} ({model.get('activation')})",
             f"- temperature: {float(model.get('temperature', 1.0)):.4f}",
             f"- test accuracy: **{100 * metrics['accuracy']:.2f}%** "
             f"({round((1 - metrics['accuracy']) * sum(map(sum, metrics['confusion_matrix'])))} errors)",
             f"- validation accuracy (at training): {_pct(stored.get('val_accuracy'))}",
             f"- test ECE: {100 * metrics['ece_uncalibrated']:.2f}% before, "
             f"{100 * metrics['ece']:.2f}% after temperature scaling; "
             f"NLL {metrics['nll_uncalibrated']:.4f} → {metrics['nll']:.4f}"]
    if stored.get("train_seconds") is not None:
        lines.append(f"- training time: {stored['train_seconds']:.0f} s")
    if realistic:
        lines.append(f"- realistic photo set: {_pct(realistic.get('realistic_accuracy'))} of "
                     f"{realistic.get('realistic_count')} images "
                     f"({realistic.get('realistic_rejected', 0)} rejected by preprocessing)")
    lines += ["", "## Per-class accuracy (test set)", "",
              "| digit | " + " | ".join(str(d) for d in range(10)) + " |",
              "|---" * 11 + "|",
              "| accuracy | " + " | ".join(f"{100 * a:.1f}" for a in metrics["per_class_accuracy"]) + " |",
              "", "## Confusion matrix (rows = true digit, columns = predicted)", "",
              "| | " + " | ".join(str(d) for d in range(10)) + " |", "|---" * 11 + "|"]
    lines += [f"| **{d}** | " + " | ".join(str(v) for v in row) + " |"
              for d, row in enumerate(metrics["confusion_matrix"])]
    captions = {"curves.png": "Training and validation curves", "confusion.png": "Confusion matrix",
                "mistakes.png": "Misclassified test digits", "reliability.png": "Reliability diagram"}
    for name in images:
        lines += ["", f"## {captions[name]}", "", f"![{captions[name]}]({name})"]
    config = model.get("train_config")
    if config:
        lines += ["", "## Training configuration", "", "```", *(f"{k}: {v}" for k, v in config.items()), "```"]
    return "\n".join(lines) + "\n"


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * float(value):.2f}%"
