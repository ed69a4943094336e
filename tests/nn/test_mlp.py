"""MLP construction, initialisation, prediction, serialisation and input validation."""

from __future__ import annotations

import numpy as np
import pytest

from digit_classifier.nn import MLP, softmax_cross_entropy


def test_shapes_and_he_initialisation():
    model = MLP([784, 512, 10], rng=np.random.default_rng(0))
    assert [p.shape for p in model.params] == [(784, 512), (512,), (512, 10), (10,)]
    assert model.weights[0].std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert model.weights[1].std() == pytest.approx(np.sqrt(2 / 522), rel=0.05)   # Glorot for logits
    assert all((b == 0).all() for b in model.biases)
    tanh = MLP([784, 512, 10], activation="tanh", rng=np.random.default_rng(0))
    assert tanh.weights[0].std() == pytest.approx(np.sqrt(2 / (784 + 512)), rel=0.02)


def test_predictions_are_consistent(toy_data):
    X, _ = toy_data
    model = MLP([12, 16, 4], dropout=0.5, rng=np.random.default_rng(0))
    logits = model.predict_logits(X)
    np.testing.assert_array_equal(model.forward(X, training=False), logits)   # one forward pass
    np.testing.assert_allclose(model.predict_logits(X, batch_size=7), logits, rtol=1e-5, atol=1e-6)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert (model.predict(X) == proba.argmax(axis=1)).all()
    assert model.predict_proba(X, temperature=4.0).max(axis=1).mean() < proba.max(axis=1).mean()
    assert model.predict_logits(np.zeros((0, 12), np.float32)).shape == (0, 4)


def test_dropout_only_in_training(toy_data):
    X, _ = toy_data
    model = MLP([12, 64, 4], dropout=0.5, rng=np.random.default_rng(0))
    a, b = model.forward(X, training=True), model.forward(X, training=True)
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(model.forward(X), model.forward(X))


def test_forward_returns_fresh_arrays(toy_data):
    X, _ = toy_data
    model = MLP([12, 8, 4], rng=np.random.default_rng(0))
    first = model.forward(X[:16])
    kept = first.copy()
    model.forward(X[16:32])
    np.testing.assert_array_equal(first, kept)


def test_dict_round_trip_gives_identical_predictions(toy_data):
    X, y = toy_data
    model = MLP([12, 16, 8, 4], activation="tanh", dropout=[0.1, 0.2], rng=np.random.default_rng(0))
    model.backward(softmax_cross_entropy(model.forward(X, training=True), y)[1])
    d = model.to_dict()
    assert d["layer_sizes"] == [12, 16, 8, 4] and d["activation"] == "tanh"
    assert all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in d["weights"] + d["biases"])
    assert [w.shape for w in d["weights"]] == [(12, 16), (16, 8), (8, 4)]
    clone = MLP.from_dict(dict(d, temperature=1.3, name="extra keys are ignored"))
    np.testing.assert_array_equal(clone.predict_logits(X), model.predict_logits(X))
    assert clone.dropout == [0.1, 0.2]
    d["weights"][0][0, 0] += 1          # the dict holds copies, not the live weights
    assert model.weights[0][0, 0] != d["weights"][0][0, 0]


def test_from_dict_rejects_wrong_shapes():
    d = MLP([5, 4, 3], rng=np.random.default_rng(0)).to_dict()
    d["weights"][1] = np.zeros((4, 2), np.float32)
    with pytest.raises(ValueError, match="shape"):
        MLP.from_dict(d)
    with pytest.raises(ValueError, match="lacks"):
        MLP.from_dict({"layer_sizes": [5, 3]})


@pytest.mark.parametrize("sizes", [[784], [], [784, 0, 10], [784, 2.5, 10], [784, -3, 10], "abc",
                                   [True, 10], 7])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match="layer_sizes"):
        MLP(sizes, rng=np.random.default_rng(0))


@pytest.mark.parametrize("kwargs", [{"activation": "sigmoid"}, {"dropout": 1.0}, {"dropout": -0.1},
                                    {"dropout": [0.1]}, {"input_dropout": 1.5}, {"rng": None},
                                    {"rng": 42}, {"dtype": np.float16}])
def test_bad_options(kwargs):
    options = {"rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError):
        MLP([8, 6, 6, 3], **options)


@pytest.mark.parametrize("X", [np.zeros((4, 11)), np.zeros(12), np.zeros((2, 3, 12)), np.zeros((0, 12)),
                               np.array([["a"] * 12]), np.zeros((4, 12), np.uint8)])
def test_bad_inputs(X):
    model = MLP([12, 8, 4], rng=np.random.default_rng(0))
    with pytest.raises(ValueError):
        model.forward(X)
    if X.ndim != 2 or X.shape[0] != 0:
        with pytest.raises(ValueError):
            model.predict_proba(X)


def test_backward_checks_order_and_shape(toy_data):
    X, _ = toy_data
    model = MLP([12, 8, 4], rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="before forward"):
        model.backward(np.zeros((64, 4), np.float32))
    model.forward(X)
    with pytest.raises(ValueError, match="dlogits"):
        model.backward(np.zeros((63, 4), np.float32))
    with pytest.raises(ValueError, match="shape"):
        model.load_params([np.zeros((3, 3))] * 4)


def test_loaded_model_without_rng_cannot_drop_out(toy_data):
    X, _ = toy_data
    model = MLP.from_dict(MLP([12, 8, 4], dropout=0.3, rng=np.random.default_rng(0)).to_dict())
    model.forward(X)                                 # inference needs no rng
    with pytest.raises(ValueError, match="rng"):
        model.forward(X, training=True)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("density", [0.0, 0.05, 0.3, 0.74, 0.76, 1.0])
def test_one_row_path_skipping_zero_inputs_equals_batch_path(activation, density):
    """``predict_proba_one`` gathers the weight rows of non-zero inputs only; whatever the
    input's density (the dense fallback starts at 75%), it must give the batch answer."""
    rng = np.random.default_rng(7)
    model = MLP([64, 48, 32, 10], activation=activation, rng=rng)
    x = rng.random(64, dtype=np.float32) * (rng.random(64) < density)
    one = model.predict_proba_one(x, 1.7)
    batch = model.predict_proba(x[None], 1.7)[0]
    np.testing.assert_allclose(one, batch, rtol=1e-5, atol=1e-7)
    assert one.dtype == np.float32 and one.shape == (10,)
