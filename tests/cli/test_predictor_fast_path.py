"""Predictor.predict's one-row forward pass agrees with the batch path (predict_many / predict_arrays)."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.predictor import Predictor
from tests.support.images import mnist_digit_bytes


@pytest.fixture(scope="module")
def predictor(quick_model_path):
    return Predictor.from_file(quick_model_path)


def test_single_prediction_equals_batch_prediction(predictor, mnist_test_set):
    sources = [mnist_digit_bytes(mnist_test_set.test_images[i], scale=4, dark_on_light=i % 2 == 1)
               for i in range(12)]
    batch = predictor.predict_many(sources)
    for source, expected in zip(sources, batch):
        got = predictor.predict(source)
        assert got.digit == expected.digit
        assert got.confident == expected.confident
        np.testing.assert_allclose(got.probabilities, expected.probabilities, rtol=1e-4, atol=1e-6)
        assert abs(sum(got.probabilities) - 1.0) < 1e-5
        assert all(type(p) is float for p in got.probabilities)
        assert got.probability == max(got.probabilities)
        np.testing.assert_array_equal(got.image28, expected.image28)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_predict_proba_one_matches_predict_proba(predictor, mnist_test_set, temperature):
    X = mnist_test_set.test_images[:8].reshape(8, 784).astype(np.float32) / 255.0
    rows = np.stack([predictor.network.predict_proba_one(x, temperature) for x in X])
    np.testing.assert_allclose(rows, predictor.network.predict_proba(X, temperature), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("bad", [np.zeros((1, 784), np.float32), np.zeros(783, np.float32),
                                 np.zeros(784, np.uint8)])
def test_predict_proba_one_rejects_bad_rows(predictor, bad):
    with pytest.raises(ValueError, match="784"):
        predictor.network.predict_proba_one(bad)


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("nan")])
def test_predict_proba_one_rejects_bad_temperature(predictor, temperature):
    with pytest.raises(ValueError, match="temperature"):
        predictor.network.predict_proba_one(np.zeros(784, np.float32), temperature)
