"""The model file: atomic pickle save, restricted-unpickler load, format version, checksum.

A model file is a pickled plain dict (see docs/ARCHITECTURE.md for its keys)
holding only builtin containers/scalars and float32 NumPy arrays. Loading uses
an unpickler that refuses every global except the few NumPy needs to rebuild
arrays, dtypes and scalars, so a tampered file cannot run code: it fails with
:class:`ModelFileError` naming the refused global.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
from pathlib import Path

import numpy as np

from digit_classifier.util.atomic import atomic_writer

FORMAT_VERSION = 1
PICKLE_PROTOCOL = 5
MAX_FILE_BYTES = 1 << 30          # far above any MLP we train; refuses absurd inputs early

REQUIRED_KEYS = ("format_version", "name", "version", "layer_sizes", "activation", "weights", "biases",
                 "temperature", "preprocessing", "train_config", "metrics", "data_checksums",
                 "created_at", "library_versions")

# What pickles of NumPy arrays, dtypes and scalars reference (checked with pickletools):
# protocol 5 contiguous arrays -> numpy._core.numeric._frombuffer; other arrays ->
# multiarray._reconstruct + ndarray; dtypes -> numpy.dtype; scalars -> multiarray.scalar.
# NumPy 1.x wrote the same names under numpy.core. Nothing else is ever admitted.
ALLOWED_GLOBALS = frozenset(
    {(f"{root}.numeric", "_frombuffer") for root in ("numpy._core", "numpy.core")}
    | {(f"{root}.multiarray", name)
       for root in ("numpy._core", "numpy.core") for name in ("_reconstruct", "scalar")}
    | {("numpy", "ndarray"), ("numpy", "dtype")}
    | {("builtins", name) for name in ("set", "frozenset", "bytearray")}
)


class ModelFileError(ValueError):
    """A model file (or model dict) is unreadable, tampered with, or of the wrong format."""


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`ALLOWED_GLOBALS` and refuses everything else."""

    def find_class(self, module: str, name: str):
        if (module, name) not in ALLOWED_GLOBALS:
            raise ModelFileError(f"model file refers to the forbidden global {module}.{name}")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        raise ModelFileError(f"model file uses a persistent id ({pid!r}), which is not allowed")


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of the file at ``path`` (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_layer_sizes(value) -> list[int]:
    ok = isinstance(value, (list, tuple)) and len(value) >= 2 and all(
        isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1 for s in value)
    if not ok:
        raise ModelFileError(f"layer_sizes must be a list of >= 2 positive ints; got {value!r}")
    return [int(s) for s in value]


def _check_arrays(model: dict) -> None:
    """Check weights (in, out) and biases (out,) against layer_sizes; they must be finite float32."""
    sizes = _check_layer_sizes(model["layer_sizes"])
    expected = {"weights": list(zip(sizes[:-1], sizes[1:])), "biases": [(s,) for s in sizes[1:]]}
    for key, shapes in expected.items():
        arrays = model[key]
        if not isinstance(arrays, (list, tuple)) or len(arrays) != len(shapes):
            raise ModelFileError(f"{key} must be a list of {len(shapes)} arrays for layer_sizes {sizes}")
        for i, (a, shape) in enumerate(zip(arrays, shapes)):
            if not isinstance(a, np.ndarray) or a.dtype != np.float32:
                raise ModelFileError(f"{key}[{i}] must be a float32 ndarray; got {type(a).__name__} "
                                     f"{getattr(a, 'dtype', '')}")
            if a.shape != shape:
                raise ModelFileError(f"{key}[{i}] has shape {a.shape}; layer_sizes {sizes} needs {shape}")
            if not np.isfinite(a).all():
                raise ModelFileError(f"{key}[{i}] contains NaN or infinity")


def _check_header(model) -> None:
    """Check that ``model`` is a dict of this format version holding every required key."""
    if not isinstance(model, dict):
        raise ModelFileError(f"a model must be a dict; got {type(model).__name__}")
    version = model.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"model format_version {version!r} is not supported (expected {FORMAT_VERSION})")
    missing = [k for k in REQUIRED_KEYS if k not in model]
    if missing:
        raise ModelFileError(f"model dict lacks required keys {missing}")


def validate_model_dict(model) -> None:
    """Raise :class:`ModelFileError` unless ``model`` is a complete model dict of this format version."""
    _check_header(model)
    if not isinstance(model["activation"], str):
        raise ModelFileError(f"activation must be a string; got {model['activation']!r}")
    temperature = model["temperature"]
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) \
            or not math.isfinite(temperature) or temperature <= 0:
        raise ModelFileError(f"temperature must be a positive finite number; got {temperature!r}")
    _check_arrays(model)


def _as_float32_arrays(model: dict) -> dict:
    """A shallow copy of ``model`` with weights and biases as C-contiguous float32 arrays."""
    out = dict(model)
    for key in ("weights", "biases"):
        if not isinstance(model[key], (list, tuple)):
            raise ModelFileError(f"{key} must be a list of arrays; got {type(model[key]).__name__}")
        try:
            out[key] = [np.ascontiguousarray(a, dtype=np.float32) for a in model[key]]
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{key} must hold numeric arrays: {exc}") from None
    if isinstance(model["temperature"], np.floating):      # keep the file free of needless NumPy scalars
        out["temperature"] = float(model["temperature"])
    return out


def save_model(path: str | os.PathLike, model: dict) -> None:
    """Validate ``model`` and write it to ``path`` atomically (pickle protocol 5).

    Written through :func:`~digit_classifier.util.atomic.atomic_writer`: a fsynced
    temporary file, world-readable (0644: the web server may run as another user),
    moved over ``path``; readers see the old file or the new one, never a partial
    write. Raises :class:`ModelFileError` for an invalid dict.
    """
    _check_header(model)
    model = _as_float32_arrays(model)
    validate_model_dict(model)
    with atomic_writer(path) as handle:
        pickle.dump(model, handle, protocol=PICKLE_PROTOCOL)


def loads_model(data: bytes, source: str = "<bytes>") -> dict:
    """Unpickle and validate a model from ``data`` with the restricted unpickler.

    Raises :class:`ModelFileError` (naming ``source``) for forbidden globals,
    truncated or corrupt data, a non-dict, a wrong format version, missing keys or
    array shapes that do not match ``layer_sizes``.
    """
    try:
        model = _RestrictedUnpickler(io.BytesIO(data)).load()
    except ModelFileError as exc:
        raise ModelFileError(f"{source}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, OverflowError, MemoryError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{source}: not a readable model file (truncated or corrupt: "
                             f"{type(exc).__name__}: {exc})") from None
    try:
        validate_model_dict(model)
    except ModelFileError as exc:
        raise ModelFileError(f"{source}: {exc}") from None
    return model


def load_model(path: str | os.PathLike) -> dict:
    """Read the model dict at ``path``; see :func:`loads_model` for the checks.

    Raises FileNotFoundError if there is no file, :class:`ModelFileError` if it is
    not a valid model file of format :data:`FORMAT_VERSION`.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelFileError(f"{path}: {size} bytes is too large for a model file")
    return loads_model(path.read_bytes(), source=str(path))
