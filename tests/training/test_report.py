"""Tests of digit_classifier.report: the plots and the Markdown summary are written."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist
from digit_classifier.report import write_report
from digit_classifier.training import TrainConfig, train



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
