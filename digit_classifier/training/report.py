"""Evaluation report: PNG plots (curves, confusion matrix, mistakes, reliability), report.md and report.html.

matplotlib is an optional extra (``pip install 'digit-classifier[report]'``); it is imported
inside :func:`write_report` and used through ``matplotlib.figure.Figure`` with the Agg
canvas, never through pyplot, so no global backend state is touched. report.html is
self-contained (inline CSS, no script, figures by relative path) so that a static web
server can serve the folder as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, NamedTuple

import jinja2
import numpy as np
from markupsafe import Markup

from digit_classifier.nn import MLP, softmax
from digit_classifier.training.calibration import reliability_bins
from digit_classifier.training.evaluation import evaluate
from digit_classifier.training.config import upgrade_train_config

MAX_MISTAKES_SHOWN = 48
CAPTIONS = {"curves.png": "Training and validation curves", "confusion.png": "Confusion matrix",
            "mistakes.png": "Misclassified test digits", "reliability.png": "Reliability diagram"}


class Fact(NamedTuple):
    """One line of the summary list: ``label: value note`` (value in bold when ``strong``)."""

    label: str
    value: str
    note: str = ""
    strong: bool = False


def _figure_class():
    """matplotlib's Figure class, or ImportError saying how to install the extra."""
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError("the evaluation report needs matplotlib: "
                          "pip install 'digit-classifier[report]'") from error
    return Figure


def write_report(model_dict: dict, X_test: np.ndarray, y_test: np.ndarray, out_dir,
                 realistic: dict | None = None,
                 realistic_sets: Mapping[str, dict] | None = None) -> Path:
    """Write plots, ``report.md`` and ``report.html`` for a model into ``out_dir`` (created if needed).

    model_dict -- a model-file dict (see model_io); X_test (n, 784) float32 prepared with
    the model's preprocessing; y_test (n,) int; realistic -- optional dict with
    ``realistic_accuracy``, ``realistic_count``, ``realistic_rejected`` of one unnamed set;
    realistic_sets -- optional {set name: such a dict}, each reported on its own line.
    Returns the path of report.md (report.html is beside it).
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
    sets = {"realistic photo set": realistic} if realistic else {}
    sets.update({f"realistic set {name}": values for name, values in (realistic_sets or {}).items()})
    summary = _summary(model_dict, metrics, sets, [n for n, f in plots.items() if f is not None])
    (out / "report.html").write_text(_html(summary), encoding="utf-8")
    path = out / "report.md"
    path.write_text(_markdown(summary), encoding="utf-8")
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


def _summary(model: dict, metrics: dict, realistic_sets: Mapping[str, dict], images: list[str]) -> dict:
    """Everything both report formats show, as plain text and numbers (not yet escaped)."""
    stored = model.get("metrics") or {}
    errors = round((1 - metrics["accuracy"]) * sum(map(sum, metrics["confusion_matrix"])))
    facts = [Fact("created", str(model.get("created_at", "?"))),
             Fact("layers", f"{model.get('layer_sizes')} ({model.get('activation')})"),
             Fact("temperature", f"{float(model.get('temperature', 1.0)):.4f}"),
             Fact("test accuracy", f"{100 * metrics['accuracy']:.2f}%", f"({errors} errors)", strong=True),
             Fact("validation accuracy (at training)", _pct(stored.get("val_accuracy"))),
             Fact("test ECE", f"{100 * metrics['ece_before']:.2f}% before, "
                              f"{100 * metrics['ece_after']:.2f}% after temperature scaling; "
                              f"NLL {metrics['nll_before']:.4f} → {metrics['nll_after']:.4f}")]
    if stored.get("train_seconds") is not None:
        facts.append(Fact("training time", f"{stored['train_seconds']:.0f} s"))
    for label, values in realistic_sets.items():
        facts.append(Fact(label, _pct(values.get("realistic_accuracy")),
                          f"of {values.get('realistic_count')} images "
                          f"({values.get('realistic_rejected', 0)} rejected by preprocessing)"))
    return {
        "title": f"Evaluation report: {model.get('name', 'model')} {model.get('version', '')}".strip(),
        "facts": facts,
        "per_class": [f"{100 * a:.1f}" for a in metrics["per_class_accuracy"]],
        "confusion": [[int(v) for v in row] for row in metrics["confusion_matrix"]],
        "figures": [(name, CAPTIONS[name]) for name in images],
        "config": [(str(k), str(v)) for k, v in upgrade_train_config(model.get("train_config") or {}).items()],
    }


def _markdown(summary: dict) -> str:
    """The Markdown report embedding the plots."""
    esc = _md_escape
    lines = [f"# {esc(summary['title'])}", ""]
    for fact in summary["facts"]:
        value = f"**{esc(fact.value)}**" if fact.strong else esc(fact.value)
        lines.append(f"- {esc(fact.label)}: {value}" + (f" {esc(fact.note)}" if fact.note else ""))
    header = ["| | " + " | ".join(str(d) for d in range(10)) + " |", "|---" * 11 + "|"]
    lines += ["", "## Per-class accuracy (test set)", "", header[0].replace("| |", "| digit |"), header[1],
              "| accuracy | " + " | ".join(summary["per_class"]) + " |",
              "", "## Confusion matrix (rows = true digit, columns = predicted)", "", *header]
    lines += [f"| **{d}** | " + " | ".join(str(v) for v in row) + " |"
              for d, row in enumerate(summary["confusion"])]
    for name, caption in summary["figures"]:
        lines += ["", f"## {caption}", "", f"![{caption}]({name})"]
    if summary["config"]:
        lines += ["", "## Training configuration", "", "```",
                  *(f"{k}: {v}" for k, v in summary["config"]), "```"]
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    """Backslash-escape the characters Markdown would read as markup (names come from files)."""
    return "".join("\\" + c if c in "\\`*_<>|" else c for c in text)


#: Inline so report.html stays one self-contained file (no CDN, no external CSS).
REPORT_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       color: #212529; background: #fff; line-height: 1.45; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #dee2e6; padding: 0.2rem 0.5rem; text-align: right; }
thead th, tbody th { background: #f8f9fa; }
td.diag { background: #e7f1ff; font-weight: 600; }
table.config th, table.config td { text-align: left; }
figure { margin: 0; } img { max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
"""

HTML_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ css }}</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<ul id="facts">
{% for fact in facts %}  <li>{{ fact.label }}: {% if fact.strong %}<strong>{{ fact.value }}</strong>{% else %}{{ fact.value }}{% endif %}{% if fact.note %} {{ fact.note }}{% endif %}</li>
{% endfor %}</ul>
<h2>Per-class accuracy (test set)</h2>
<div class="scroll"><table id="per-class">
<thead><tr><th>digit</th>{% for d in range(10) %}<th>{{ d }}</th>{% endfor %}</tr></thead>
<tbody><tr><th>accuracy (%)</th>{% for a in per_class %}<td>{{ a }}</td>{% endfor %}</tr></tbody>
</table></div>
<h2>Confusion matrix (rows = true digit, columns = predicted)</h2>
<div class="scroll"><table id="confusion">
<thead><tr><th></th>{% for d in range(10) %}<th>{{ d }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in confusion %}{% set digit = loop.index0 %}<tr><th>{{ digit }}</th>{% for v in row %}<td{% if loop.index0 == digit %} class="diag"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table></div>
{% for name, caption in figures %}<figure>
<h2>{{ caption }}</h2>
<img src="{{ name }}" alt="{{ caption }}">
</figure>
{% endfor %}{% if config %}<h2>Training configuration</h2>
<table class="config" id="config">
{% for key, value in config %}<tr><th>{{ key }}</th><td><code>{{ value }}</code></td></tr>
{% endfor %}</table>
{% endif %}</main>
</body>
</html>
"""


def _html(summary: dict) -> str:
    """The self-contained HTML report; every text from the model file is HTML-escaped."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    # The stylesheet is our own constant, not data: mark it safe so it is not escaped.
    return env.from_string(HTML_TEMPLATE).render(css=Markup(REPORT_CSS), **summary)


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * float(value):.2f}%"
