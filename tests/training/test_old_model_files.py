"""Model files written before the metric and optimizer vocabularies were settled still load and display."""

from __future__ import annotations

import dataclasses

import pytest

from digit_classifier.model_io import load_model, save_model
from digit_classifier.predictor import Predictor
from digit_classifier.preprocessing import PreprocessConfig, prepare_mnist
from digit_classifier.training import PROFILES, build_model_dict, evaluate, train
from digit_classifier.training.report import write_report

OLD_METRIC_KEYS = {"test_accuracy", "val_accuracy", "per_class_accuracy", "confusion_matrix", "ece_before",
                   "ece_after", "test_nll", "val_ece_before", "val_ece_after", "train_seconds",
                   "selected_epoch", "selected_weights", "history"}


@pytest.fixture(scope="module")
def old_model_file(tiny_data, tmp_path_factory):
    """A model file as written before: metrics with ``test_nll`` (no nll_before/nll_after) and a
    train_config saying ``optimizer: "sgd"`` with ``nesterov: true`` for Nesterov momentum."""
    config = dataclasses.replace(PROFILES["default"], hidden=(16,), epochs=2, val_size=200, augment=None,
                                 ema_decay=0.0, time_budget_s=None, preprocess=None)
    result = train(config, tiny_data)
    pre = PreprocessConfig()
    test = evaluate(result.model, prepare_mnist(tiny_data.test_images, pre), tiny_data.test_labels,
                    result.temperature)
    model = build_model_dict(result, config, pre, tiny_data, test)
    metrics = model["metrics"]
    metrics["test_nll"] = metrics.pop("nll_after")
    del metrics["nll_before"]
    assert set(metrics) == OLD_METRIC_KEYS
    model["train_config"] = dict(config.to_dict(), optimizer="sgd", nesterov=True)
    path = tmp_path_factory.mktemp("old") / "model.pkl"
    save_model(path, model)
    return path


def test_old_file_loads_and_its_metrics_are_served_as_stored(old_model_file):
    predictor = Predictor.from_file(old_model_file)
    info = predictor.info
    assert set(info["metrics"]) == OLD_METRIC_KEYS - {"history"}
    assert 0 <= info["metrics"]["test_accuracy"] <= 1 and info["metrics"]["ece_after"] >= 0
    assert info["train_config"]["optimizer"] == "sgd" and info["train_config"]["nesterov"] is True


def test_report_of_an_old_file_names_its_optimizer_in_todays_words(old_model_file, tiny_data, tmp_path):
    model = load_model(old_model_file)
    X = prepare_mnist(tiny_data.test_images, PreprocessConfig())
    text = write_report(model, X, tiny_data.test_labels, tmp_path).read_text()
    stored = model["metrics"]["val_accuracy"]
    assert f"validation accuracy (at training): {100 * stored:.2f}%" in text
    assert "optimizer: nesterov" in text and "nesterov: True" not in text
    assert "% before, " in text and "% after temperature scaling; NLL " in text
