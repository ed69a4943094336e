"""Tests of digit_classifier.training.report: the plots, report.md and report.html are written and agree;
evaluate_model_file / the CLI report each realistic set separately."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from digit_classifier import cli
from digit_classifier.cli.jobs import evaluate_model_file
from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist
from digit_classifier.training.report import write_report
from digit_classifier.training import TrainConfig, train
from tests.support.images import mnist_digit_bytes

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

def test_write_report_produces_plots_and_markdown(tiny_data, tmp_path):
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=64, val_size=200, augment=None)
    result = train(config, tiny_data)
    model = {**result.model.to_dict(), "name": "tiny", "version": "0+test",
             "temperature": result.temperature, "train_config": config.to_dict(),
             "metrics": {"val_accuracy": result.val_metrics["accuracy"],
                         "history": [s.to_dict() for s in result.history]}}
    X = prepare_mnist(tiny_data.test_images, PreprocessConfig())
    y = tiny_data.test_labels.copy()
    y[:5] = (y[:5] + 1) % 10          # guarantee some mistakes for the mistakes grid
    path = write_report(model, X, y, tmp_path / "out",
                        realistic={"realistic_accuracy": 0.5, "realistic_count": 4, "realistic_rejected": 1})
    assert path == tmp_path / "out" / "report.md"
    for name in ("curves.png", "confusion.png", "mistakes.png", "reliability.png"):
        png = (tmp_path / "out" / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
        assert f"]({name})" in path.read_text()
    text = path.read_text()
    accuracy = (result.model.predict(X) == y).mean()
    assert f"{100 * accuracy:.2f}%" in text
    assert "realistic photo set: 50.00% of 4 images (1 rejected" in text
    # Confusion-matrix rows in the Markdown add up to the number of test images.
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert len(rows) == 10
    assert sum(int(v) for line in rows for v in line.split("|")[2:-1]) == len(y)


def test_missing_matplotlib_gives_a_clear_error(monkeypatch, tiny_data, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"digit-classifier\[report\]"):
        write_report({}, np.zeros((1, 784), np.float32), np.zeros(1, int), tmp_path)


@pytest.fixture(scope="module")
def tiny_model(tiny_data):
    """A model dict trained for 2 epochs on the synthetic data, with a history for the curves."""
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=64, val_size=200, augment=None)
    result = train(config, tiny_data)
    return {**result.model.to_dict(), "name": "tiny", "version": "0+test",
            "temperature": result.temperature, "train_config": config.to_dict(),
            "metrics": {"val_accuracy": result.val_metrics["accuracy"],
                        "history": [s.to_dict() for s in result.history]}}, result.model


class PageParser(HTMLParser):
    """Collects tags, attributes, the text of each table cell and the page's whole text."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.cells: dict[str, list[list[str]]] = {}
        self.text: list[str] = []
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "table":
            self._table = self.cells.setdefault(attrs.get("id", ""), [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse_page(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def test_html_report_has_the_markdown_content_and_is_self_contained(tiny_model, tiny_data, tmp_path):
    model, network = tiny_model
    X = prepare_mnist(tiny_data.test_images, PreprocessConfig())
    y = tiny_data.test_labels.copy()
    y[:7] = (y[:7] + 3) % 10
    md_path = write_report(model, X, y, tmp_path, realistic_sets={
        "photos": {"realistic_accuracy": 0.75, "realistic_count": 8, "realistic_rejected": 2},
        "scans": {"realistic_accuracy": 0.25, "realistic_count": 4, "realistic_rejected": 0}})
    page = parse_page(tmp_path / "report.html")
    text = " ".join("".join(page.text).split())

    accuracy = (network.predict(X) == y).mean()
    assert f"test accuracy: {100 * accuracy:.2f}%" in text
    assert "realistic set photos: 75.00% of 8 images (2 rejected by preprocessing)" in text
    assert "realistic set scans: 25.00% of 4 images (0 rejected by preprocessing)" in text
    # Every figure is an <img> with a relative path to a PNG written beside the page.
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert sorted(images) == sorted(p.name for p in tmp_path.glob("*.png")) and len(images) == 4
    for src in images:
        assert (tmp_path / src).read_bytes()[:8] == PNG_MAGIC
        assert f"]({src})" in md_path.read_text()
    # Nothing is fetched from elsewhere and nothing runs.
    assert not [tag for tag, _ in page.tags if tag in ("script", "link", "iframe")]
    assert not re.search(r"(src|href)=\"(https?:)?//", (tmp_path / "report.html").read_text())
    # The tables hold the same numbers as the evaluation (and as the Markdown).
    confusion = [[int(v) for v in row[1:]] for row in page.cells["confusion"][1:]]
    assert len(confusion) == 10 and sum(map(sum, confusion)) == len(y)
    assert sum(confusion[d][d] for d in range(10)) == round(accuracy * len(y))
    md_rows = [line for line in md_path.read_text().splitlines() if line.startswith("| **")]
    assert [[int(v) for v in line.split("|")[2:-1]] for line in md_rows] == confusion
    per_class = [float(v) for v in page.cells["per-class"][1][1:]]
    for d in range(10):
        assert per_class[d] == pytest.approx(100 * confusion[d][d] / sum(confusion[d]), abs=0.05)
    config = {row[0]: row[1] for row in page.cells["config"]}
    assert config["hidden"] == str(model["train_config"]["hidden"]) and config["epochs"] == "2"


def test_text_from_the_model_file_is_escaped(tiny_model, tiny_data, tmp_path):
    model, _ = tiny_model
    evil = '<script>alert("x")</script> & <b>'
    X = prepare_mnist(tiny_data.test_images, PreprocessConfig())
    write_report({**model, "name": evil}, X, tiny_data.test_labels, tmp_path,
                 realistic_sets={"<img src=x onerror=alert(1)>": {"realistic_accuracy": 1.0,
                                                                   "realistic_count": 1}})
    html_text = (tmp_path / "report.html").read_text()
    assert "<script>" not in html_text and "<img src=x" not in html_text and "<b>" not in html_text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;" in html_text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_text
    page = parse_page(tmp_path / "report.html")
    assert evil in "".join(page.text)   # escaped, not lost: the reader sees the name as it is
    markdown = (tmp_path / "report.md").read_text()
    assert "<script>" not in markdown and "\\<script\\>" in markdown


def write_realistic_set(folder: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """A realistic-set folder: one PNG per (28, 28) uint8 image and labels.csv."""
    folder.mkdir(parents=True)
    with open(folder / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "label"])
        for i, (image, label) in enumerate(zip(images, labels)):
            (folder / f"{i}.png").write_bytes(mnist_digit_bytes(image, scale=2, dark_on_light=False))
            writer.writerow([f"{i}.png", int(label)])
    return folder


def test_each_realistic_set_is_reported_by_name(quick_model_path, mnist_dir, tmp_path, capsys):
    from digit_classifier.mnist import load_mnist

    data = load_mnist(mnist_dir)
    images, labels = data.test_images[:30], data.test_labels[:30]
    right = write_realistic_set(tmp_path / "right", images, labels)
    wrong = write_realistic_set(tmp_path / "wrong", images, (labels + 1) % 10)   # every label off by one
    report = tmp_path / "report"
    results = evaluate_model_file(quick_model_path, mnist_dir, report_dir=report,
                                  realistic_dir=[right, wrong])
    sets = results["realistic_sets"]
    assert list(sets) == ["right", "wrong"]
    assert sets["right"] >= 0.9 and sets["wrong"] <= 0.1
    # The single-set keys describe the first set, as before.
    assert results["realistic_accuracy"] == sets["right"] and results["realistic_count"] == 30
    page = " ".join("".join(parse_page(report / "report.html").text).split())
    markdown = (report / "report.md").read_text()
    for name, accuracy in sets.items():
        assert f"realistic set {name}: {100 * accuracy:.2f}% of 30 images" in page
        assert f"realistic set {name}: {100 * accuracy:.2f}% of 30 images" in markdown

    assert cli.main(["evaluate", "--model", str(quick_model_path), "--data-dir", str(mnist_dir),
                     "--realistic", str(right), "--realistic", str(wrong)]) == 0
    out = capsys.readouterr().out
    assert f"realistic set right: {100 * sets['right']:.2f}%" in out
    assert f"realistic set wrong: {100 * sets['wrong']:.2f}%" in out
    assert (f"test ECE:      {100 * results['ece_before']:.2f}% before, "
            f"{100 * results['ece_after']:.2f}% after temperature scaling") in out


def test_a_single_realistic_set_and_same_named_sets(quick_model_path, mnist_dir, tmp_path):
    from digit_classifier.mnist import load_mnist

    data = load_mnist(mnist_dir)
    one = write_realistic_set(tmp_path / "a" / "set", data.test_images[:10], data.test_labels[:10])
    two = write_realistic_set(tmp_path / "b" / "set", data.test_images[:10], (data.test_labels[:10] + 1) % 10)
    single = evaluate_model_file(quick_model_path, mnist_dir, realistic_dir=one)
    assert single["realistic_sets"] == {"set": single["realistic_accuracy"]}
    both = evaluate_model_file(quick_model_path, mnist_dir, realistic_dir=[one, two])
    assert list(both["realistic_sets"]) == ["set", str(two)]
    with pytest.raises(ValueError, match="given twice"):
        evaluate_model_file(quick_model_path, mnist_dir, realistic_dir=[one, one])
