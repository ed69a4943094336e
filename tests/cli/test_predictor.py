"""Predictor: real model, real images; order, errors, confidence and metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest

from digit_classifier.predictor import Predictor
from digit_classifier.preprocessing import ImageError


@pytest.fixture(scope="module")
def predictor(quick_model_path):
    return Predictor.from_file(quick_model_path)


def test_predicts_real_digits_in_both_polarities(predictor, digit_folder):
    _, labels = digit_folder
    correct = sum(predictor.predict(path).digit == label for path, label in labels.items())
    assert correct >= 18, f"only {correct}/20 real MNIST digits recognised"


def test_prediction_fields_are_consistent(predictor, digit_folder):
    path = next(iter(digit_folder[1]))
    result = predictor.predict(path)
    assert len(result.probabilities) == 10
    assert sum(result.probabilities) == pytest.approx(1.0, abs=1e-4)
    assert result.probability == max(result.probabilities)
    assert result.digit == int(np.argmax(result.probabilities))
    assert result.image28.shape == (28, 28) and result.image28.dtype == np.float32
    assert set(result.to_json()) == {"digit", "probability", "probabilities", "confident", "candidate"}


def test_predict_many_keeps_order_and_reports_errors_in_place(predictor, digit_folder):
    paths = list(digit_folder[1])[:3]
    outcomes = predictor.predict_many([paths[0], b"not an image", paths[1], b"", paths[2]])
    assert [type(o).__name__ for o in outcomes] == [
        "Prediction", "ImageError", "Prediction", "ImageError", "Prediction"]
    singles = [predictor.predict(p).digit for p in paths]
    assert [outcomes[i].digit for i in (0, 2, 4)] == singles


def test_predict_many_with_only_bad_images(predictor):
    outcomes = predictor.predict_many([b"junk"])
    assert len(outcomes) == 1 and isinstance(outcomes[0], ImageError)


@pytest.mark.parametrize("threshold, expected", [(0.0, True), (1.0, False)])
def test_confidence_threshold(quick_model_dict, digit_folder, threshold, expected):
    predictor = Predictor(quick_model_dict, confidence_threshold=threshold)
    path = next(iter(digit_folder[1]))
    assert predictor.predict(path).confident is expected


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_bad_threshold_is_rejected(quick_model_dict, threshold):
    with pytest.raises(ValueError, match="confidence_threshold"):
        Predictor(quick_model_dict, confidence_threshold=threshold)


def test_info_is_json_and_describes_the_model(predictor, quick_model_path):
    info = json.loads(json.dumps(predictor.info))
    assert info["architecture"]["layer_sizes"][0] == 784
    assert info["architecture"]["layer_sizes"][-1] == 10
    assert info["metrics"]["test_accuracy"] >= 0.97
    assert len(info["checksum"]) == 64
    assert info["name"] and info["version"]


def test_inverted_digits_are_recognised_without_polarity_detection(quick_model_dict, mnist_test_set):
    """Training inverts a few digits, so the network itself copes with either polarity."""
    from digit_classifier.preprocessing import prepare_mnist

    predictor = Predictor(quick_model_dict)
    images, labels = mnist_test_set.test_images[:1000], mnist_test_set.test_labels[:1000]
    inverted = prepare_mnist(255 - images, predictor.preprocess_config)  # dark ink on white
    accuracy = float((predictor.predict_arrays(inverted).argmax(1) == labels).mean())
    assert accuracy >= 0.85, f"inverted digits: {accuracy:.1%}"


def test_predict_prepared_equals_predict_on_the_winning_row(predictor, digit_folder):
    path = next(iter(digit_folder[1]))
    direct, trace = predictor.predict_traced(path)
    prepared = predictor.predict_prepared(trace.image28.reshape(784))
    assert prepared.digit == direct.digit
    np.testing.assert_allclose(prepared.probabilities, direct.probabilities, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(prepared.image28, direct.image28)


@pytest.mark.parametrize("bad", [np.zeros(783, np.float32), np.zeros((28, 28), np.float32),
                                 np.zeros(784, np.int64)])
def test_predict_prepared_rejects_rows_not_in_mnist_form(predictor, bad):
    with pytest.raises(ValueError, match="shape"):
        predictor.predict_prepared(bad)
