"""Saving and loading model files: round trip, atomic writes, and refusal of bad or hostile files."""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import pickletools
import subprocess

import numpy as np
import pytest

import digit_classifier.model_io as model_io
from digit_classifier.model_io import (FORMAT_VERSION, ModelFileError, file_sha256, load_model, loads_model,
                                       save_model)


def test_round_trip(tmp_path, model_dict):
    path = tmp_path / "model.pkl"
    save_model(path, model_dict)
    loaded = load_model(path)
    assert set(loaded) == set(model_dict)
    for key in ("weights", "biases"):
        for a, b in zip(loaded[key], model_dict[key]):
            assert a.dtype == np.float32
            np.testing.assert_array_equal(a, b)
    for key in ("layer_sizes", "activation", "temperature", "preprocessing", "train_config", "created_at"):
        assert loaded[key] == model_dict[key]
    assert loaded["metrics"]["ece_before"] == np.float32(0.1)
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)         # readable by the web server's user


def test_saved_arrays_become_float32(tmp_path, model_dict):
    model_dict["weights"] = [w.astype(np.float64) for w in model_dict["weights"]]
    save_model(tmp_path / "m.pkl", model_dict)
    assert all(w.dtype == np.float32 for w in load_model(tmp_path / "m.pkl")["weights"])


def test_file_uses_pickle_protocol_5(tmp_path, model_dict):
    save_model(tmp_path / "m.pkl", model_dict)
    first = next(pickletools.genops((tmp_path / "m.pkl").read_bytes()))
    assert first[0].name == "PROTO" and first[1] == 5


def test_file_sha256(tmp_path, model_dict):
    path = tmp_path / "m.pkl"
    save_model(path, model_dict)
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_atomic_write_leaves_no_temp_files(tmp_path, model_dict):
    save_model(tmp_path / "model.pkl", model_dict)
    save_model(tmp_path / "model.pkl", model_dict)
    assert [p.name for p in tmp_path.iterdir()] == ["model.pkl"]


def test_failed_write_keeps_the_old_file(tmp_path, model_dict, monkeypatch):
    path = tmp_path / "model.pkl"
    save_model(path, model_dict)
    before = path.read_bytes()

    def dump_half_then_fail(obj, f, protocol):
        f.write(pickle.dumps(obj, protocol=protocol)[:100])
        raise OSError("disk full")

    monkeypatch.setattr(model_io.pickle, "dump", dump_half_then_fail)
    changed = dict(model_dict, name="new")
    with pytest.raises(OSError, match="disk full"):
        save_model(path, changed)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pkl"]


@pytest.mark.parametrize("mutate,match", [
    (lambda d: d.update(format_version=2), "format_version"),
    (lambda d: d.pop("format_version"), "format_version"),
    (lambda d: d.pop("temperature"), "temperature"),
    (lambda d: d.update(temperature=0.0), "temperature"),
    (lambda d: d.update(layer_sizes=[784, 17, 10]), "shape"),
    (lambda d: d["biases"].pop(), "biases"),
    (lambda d: d.update(layer_sizes=[784]), "layer_sizes"),
    (lambda d: d["weights"].__setitem__(0, "not an array"), "numeric"),
    (lambda d: d.update(weights=None), "weights"),
])
def test_save_refuses_invalid_dicts(tmp_path, model_dict, mutate, match):
    mutate(model_dict)
    with pytest.raises(ModelFileError, match=match):
        save_model(tmp_path / "m.pkl", model_dict)
    assert not list(tmp_path.iterdir())


def _write_raw(path, obj):
    """Pickle ``obj`` to ``path`` bypassing save_model's checks (as an attacker or old code would)."""
    path.write_bytes(pickle.dumps(obj, protocol=5))
    return path


def test_wrong_version_is_refused(tmp_path, model_dict):
    path = _write_raw(tmp_path / "m.pkl", dict(model_dict, format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match="format_version 2"):
        load_model(path)


@pytest.mark.parametrize("obj,match", [
    ([1, 2, 3], "dict"),
    ({"format_version": FORMAT_VERSION}, "lacks required keys"),
])
def test_non_models_are_refused(tmp_path, obj, match):
    with pytest.raises(ModelFileError, match=match):
        load_model(_write_raw(tmp_path / "m.pkl", obj))


def test_wrong_shapes_are_refused(tmp_path, model_dict):
    model_dict["weights"][0] = model_dict["weights"][0].T.copy()
    with pytest.raises(ModelFileError, match=r"weights\[0\] has shape \(16, 784\)"):
        load_model(_write_raw(tmp_path / "m.pkl", model_dict))


def test_non_finite_weights_are_refused(tmp_path, model_dict):
    model_dict["biases"][1][3] = np.nan
    with pytest.raises(ModelFileError, match="NaN"):
        load_model(_write_raw(tmp_path / "m.pkl", model_dict))


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.99])
def test_truncated_file_is_refused(tmp_path, model_dict, cut):
    path = tmp_path / "m.pkl"
    save_model(path, model_dict)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * cut)])
    with pytest.raises(ModelFileError, match="truncated or corrupt"):
        load_model(path)


@pytest.mark.parametrize("data", [b"", b"garbage bytes, not a pickle", os.urandom(4096), b"\x80\x05N."])
def test_garbage_is_refused(tmp_path, data):
    path = tmp_path / "m.pkl"
    path.write_bytes(data)
    with pytest.raises(ModelFileError):
        load_model(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.pkl")


class _Payload:
    """Pickles as a call of ``func(*args)``, the classic pickle exploit."""

    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _payloads(marker):
    touch = f"touch {marker}"
    return {
        "os.system": (_Payload(os.system, touch), "system"),
        "builtins.eval": (_Payload(eval, f"open({str(marker)!r}, 'w')"), "builtins.eval"),
        "builtins.exec": (_Payload(exec, f"open({str(marker)!r}, 'w')"), "builtins.exec"),
        "subprocess.call": (_Payload(subprocess.call, ["touch", str(marker)]), "subprocess.call"),
        "subprocess.Popen": (_Payload(subprocess.Popen, ["touch", str(marker)]), "subprocess.Popen"),
        "numpy.save": (_Payload(np.save, str(marker), np.zeros(1)), "numpy.save"),
        "numpy.load": (_Payload(np.load, str(marker)), "numpy.load"),
        "numpy.testing": (_Payload(np.testing.assert_equal, 1, 1), "numpy.testing"),
        "io.open": (_Payload(open, str(marker), "w"), r"io\.open"),
        "builtins.__import__": (_Payload(__import__, "os"), "builtins.__import__"),
    }


@pytest.mark.parametrize("name", list(_payloads("x")))
@pytest.mark.parametrize("where", ["top level", "inside a valid model"])
def test_malicious_pickles_are_refused_without_side_effects(tmp_path, model_dict, name, where):
    marker = tmp_path / "pwned"
    payload, match = _payloads(marker)[name]
    obj = payload if where == "top level" else dict(model_dict, metrics={"evil": payload})
    path = _write_raw(tmp_path / "m.pkl", obj)
    with pytest.raises(ModelFileError, match=f"forbidden global .*{match}"):
        load_model(path)
    assert not marker.exists() and not marker.with_suffix(".npy").exists()


@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_hand_written_global_opcode_is_refused(tmp_path, protocol):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_Payload(os.system, f"touch {marker}"), protocol=protocol)
    with pytest.raises(ModelFileError, match="forbidden global"):
        loads_model(evil)
    with pytest.raises(ModelFileError, match="forbidden global os.system"):
        loads_model(f"cos\nsystem\n(S'touch {marker}'\ntR.".encode())
    assert not marker.exists()


def test_numpy_1x_module_names_are_accepted(model_dict):
    """Files written by NumPy 1.x name numpy.core.* instead of numpy._core.*."""
    data = pickle.dumps(model_dict, protocol=4)     # protocol 4: arrays via multiarray._reconstruct
    assert b"numpy._core.multiarray" in data
    old = data.replace(b"\x8c\x16numpy._core.multiarray", b"\x8c\x15numpy.core.multiarray")
    old = pickletools.optimize(old)                 # re-frame after the edit
    assert b"numpy._core" not in old
    loaded = loads_model(old)
    np.testing.assert_array_equal(loaded["weights"][0], model_dict["weights"][0])


def test_persistent_ids_are_refused():
    class PidPickler(pickle.Pickler):
        def persistent_id(self, obj):
            return "ext" if isinstance(obj, str) and obj == "x" else None

    buf = io.BytesIO()
    PidPickler(buf, protocol=5).dump({"a": "x"})
    with pytest.raises(ModelFileError, match="persistent id"):
        loads_model(buf.getvalue())


def test_mlp_survives_the_file(tmp_path, model_dict):
    """MLP.to_dict -> save -> load -> MLP.from_dict predicts exactly as the original."""
    from digit_classifier.nn import MLP

    model = MLP([784, 32, 10], activation="tanh", dropout=0.2, rng=np.random.default_rng(3))
    save_model(tmp_path / "m.pkl", dict(model_dict, **model.to_dict()))
    clone = MLP.from_dict(load_model(tmp_path / "m.pkl"))
    X = np.random.default_rng(4).random((50, 784), dtype=np.float32)
    np.testing.assert_array_equal(clone.predict_proba(X), model.predict_proba(X))
