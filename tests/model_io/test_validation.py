"""Full validation at load time: sizes 784 -> ... -> 10, arrays, metadata types, the allow-list."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import digit_classifier.model_io as model_io
from digit_classifier.model_io import ModelFileError, loads_model


def _raw(model: dict) -> bytes:
    """``model`` pickled as a file would hold it, bypassing save_model's checks."""
    return pickle.dumps(model, protocol=5)


def _resized(model: dict, sizes: list[int]) -> dict:
    rng = np.random.default_rng(1)
    return dict(model, layer_sizes=sizes,
                weights=[rng.standard_normal((a, b)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])],
                biases=[np.zeros(b, np.float32) for b in sizes[1:]])


BAD = {
    "input 100": (lambda d: _resized(d, [100, 16, 10]), "784 -> ... -> 10"),
    "output 9": (lambda d: _resized(d, [784, 16, 9]), "784 -> ... -> 10"),
    "bool size": (lambda d: dict(d, layer_sizes=[784, True, 10]), "positive ints"),
    "float64 weights": (lambda d: dict(d, weights=[w.astype(np.float64) for w in d["weights"]]), "float32"),
    "infinite bias": (lambda d: dict(d, biases=[d["biases"][0], np.full(10, np.inf, np.float32)]), "NaN or inf"),
    "list weights": (lambda d: dict(d, weights=[w.tolist() for w in d["weights"]]), "float32 ndarray"),
    "metrics list": (lambda d: dict(d, metrics=[0.9]), "metrics must be a dict"),
    "metrics int keys": (lambda d: dict(d, metrics={1: 0.9}), "metrics must be a dict"),
    "accuracy str": (lambda d: dict(d, metrics={"test_accuracy": "high"}), "test_accuracy"),
    "accuracy nan": (lambda d: dict(d, metrics={"test_accuracy": float("nan")}), "test_accuracy"),
    "accuracy bool": (lambda d: dict(d, metrics={"test_accuracy": True}), "test_accuracy"),
    "history dict": (lambda d: dict(d, metrics={"history": {"a": 1}}), "history"),
    "created_at int": (lambda d: dict(d, created_at=20240101), "created_at must be a string"),
    "name None": (lambda d: dict(d, name=None), "name must be a string"),
    "version float": (lambda d: dict(d, version=1.0), "version must be a string"),
    "activation int": (lambda d: dict(d, activation=3), "activation must be a string"),
    "temperature nan": (lambda d: dict(d, temperature=float("nan")), "temperature"),
    "temperature negative": (lambda d: dict(d, temperature=-1.0), "temperature"),
    "temperature str": (lambda d: dict(d, temperature="1"), "temperature"),
    "preprocessing list": (lambda d: dict(d, preprocessing=["mnist"]), "preprocessing must be a dict"),
    "preprocessing unknown key": (lambda d: dict(d, preprocessing={"colour": 1}), "PreprocessConfig"),
    "preprocessing bad mode": (lambda d: dict(d, preprocessing={"mode": "zoom"}), "PreprocessConfig"),
    "preprocessing bad work_size": (lambda d: dict(d, preprocessing={"work_size": 5}), "PreprocessConfig"),
    "train_config None": (lambda d: dict(d, train_config=None), "train_config must be a dict"),
    "checksums int values": (lambda d: dict(d, data_checksums={"a": 1}), "data_checksums values"),
    "library_versions str": (lambda d: dict(d, library_versions="numpy 2"), "library_versions must be a dict"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_model_files_are_refused_clearly(model_dict, name):
    mutate, match = BAD[name]
    with pytest.raises(ModelFileError, match=match):
        loads_model(_raw(mutate(model_dict)), source="m.pkl")


def test_deeper_nets_of_the_right_ends_load(model_dict):
    loaded = loads_model(_raw(_resized(model_dict, [784, 32, 16, 10])))
    assert loaded["layer_sizes"] == [784, 32, 16, 10]


def test_loaded_arrays_are_contiguous_and_own_their_memory(model_dict):
    loaded = loads_model(_raw(model_dict))
    for a in loaded["weights"] + loaded["biases"]:
        assert a.flags.c_contiguous and a.flags.owndata and a.flags.writeable and a.dtype == np.float32


@pytest.mark.parametrize("obj", [{1, 2}, frozenset({1}), bytearray(b"x")])
def test_builtins_beyond_the_format_are_refused(obj):
    with pytest.raises(ModelFileError, match="forbidden global (__builtin__|builtins)"):
        loads_model(pickle.dumps(obj, protocol=2))            # protocol 2 names them as globals


@pytest.mark.parametrize("obj", [{1, 2}, bytearray(b"x"), np.zeros(3), complex(1, 2)])
def test_metadata_must_be_plain_data(model_dict, obj):
    data = pickle.dumps(dict(model_dict, metrics={"extra": [obj]}), protocol=5)
    with pytest.raises(ModelFileError, match=r"metrics\['extra'\]\[0\]|forbidden global"):
        loads_model(data)


def test_allow_list_holds_only_numpy_names():
    assert {module.split(".")[0] for module, _ in model_io.ALLOWED_GLOBALS} == {"numpy"}


def test_deeply_nested_metadata_is_refused(model_dict):
    deep: list = []
    for _ in range(40):
        deep = [deep]
    data = pickle.dumps(dict(model_dict, metrics={"history": deep}), protocol=5)
    with pytest.raises(ModelFileError, match="nested more than"):
        loads_model(data)
