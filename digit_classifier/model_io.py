"""The model file: atomic pickle save, restricted-unpickler load, full validation, checksum.

A model file is a pickled plain dict (see docs/ARCHITECTURE.md for its keys)
holding only builtin containers/scalars and float32 NumPy arrays. Loading uses
an unpickler that refuses every global except the few NumPy needs to rebuild
arrays, dtypes and scalars, so a tampered file cannot run code: it fails with
:class:`ModelFileError` naming the refused global. Everything the app later reads
is checked at load time (layer sizes 784 -> ... -> 10, array shapes, dtypes and
values, metadata types), so a bad file fails once, clearly, and never per request.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
from pathlib import Path

import numpy as np

from digit_classifier.preprocessing import PreprocessConfig
from digit_classifier.util.atomic import atomic_writer

FORMAT_VERSION = 1
PICKLE_PROTOCOL = 5
MAX_FILE_BYTES = 1 << 30          # far above any MLP we train; refuses absurd inputs early

INPUT_SIZE, OUTPUT_SIZE = 784, 10  # 28x28 pixels in, 10 digit classes out
REQUIRED_KEYS = ("format_version", "name", "version", "layer_sizes", "activation", "weights", "biases",
                 "temperature", "preprocessing", "train_config", "metrics", "data_checksums",
                 "created_at", "library_versions")

# What pickles of NumPy arrays, dtypes and scalars reference (checked with pickletools):
# protocol 5 contiguous arrays -> numpy._core.numeric._frombuffer; other arrays ->
# multiarray._reconstruct + ndarray; dtypes -> numpy.dtype; scalars -> multiarray.scalar.
# NumPy 1.x wrote the same names under numpy.core. Nothing else is ever admitted: no
# builtins at all (protocol 5 writes array bytes with the BYTEARRAY8 opcode, not a global).
ALLOWED_GLOBALS = frozenset(
    {(f"{root}.numeric", "_frombuffer") for root in ("numpy._core", "numpy.core")}
    | {(f"{root}.multiarray", name)
       for root in ("numpy._core", "numpy.core") for name in ("_reconstruct", "scalar")}
    | {("numpy", "ndarray"), ("numpy", "dtype")}
)
#: metrics keys that hold one number (or None when not measured).
NUMBER_METRICS = ("test_accuracy", "val_accuracy", "ece_before", "ece_after", "test_nll",
                  "val_ece_before", "val_ece_after", "train_seconds")


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
    sizes = [int(s) for s in value]
    if sizes[0] != INPUT_SIZE or sizes[-1] != OUTPUT_SIZE:
        raise ModelFileError(f"layer_sizes must run {INPUT_SIZE} -> ... -> {OUTPUT_SIZE}; got {sizes}")
    return sizes


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
    temperature = model["temperature"]
    if not _is_number(temperature) or temperature <= 0:
        raise ModelFileError(f"temperature must be a positive finite number; got {temperature!r}")
    _check_arrays(model)
    _check_metadata(model)


def _is_number(value) -> bool:
    """True for a finite int/float (NumPy ones too), never for a bool."""
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            and math.isfinite(value))


def _check_metadata(model: dict) -> None:
    """Check the types of everything the app shows: names, dates, metrics, preprocessing."""
    for key in ("name", "version", "activation", "created_at"):
        if not isinstance(model[key], str):
            raise ModelFileError(f"{key} must be a string; got {type(model[key]).__name__} {model[key]!r:.80}")
    for key in ("train_config", "metrics", "data_checksums", "library_versions", "preprocessing"):
        if not isinstance(model[key], dict) or not all(isinstance(k, str) for k in model[key]):
            raise ModelFileError(f"{key} must be a dict with string keys; got {type(model[key]).__name__}")
        _check_plain(model[key], key)
    for key in ("data_checksums", "library_versions"):
        if not all(isinstance(v, str) for v in model[key].values()):
            raise ModelFileError(f"{key} values must be strings")
    metrics = model["metrics"]
    for key in NUMBER_METRICS:
        if metrics.get(key) is not None and not _is_number(metrics[key]):
            raise ModelFileError(f"metrics[{key!r}] must be a finite number or None; got {metrics[key]!r:.80}")
    for key in ("per_class_accuracy", "confusion_matrix", "history"):
        if key in metrics and not isinstance(metrics[key], list):
            raise ModelFileError(f"metrics[{key!r}] must be a list; got {type(metrics[key]).__name__}")
    try:
        PreprocessConfig.from_dict(model["preprocessing"])
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"preprocessing is not a valid PreprocessConfig: {exc}") from None


#: Deepest nesting of metadata containers (the app walks them recursively to make JSON).
MAX_METADATA_DEPTH = 16
_SCALARS = (str, int, float, bool, type(None), np.integer, np.floating, np.bool_)


def _check_plain(value, where: str, depth: int = 0) -> None:
    """Metadata must be JSON-like: str/number/bool/None scalars in lists and str-keyed
    dicts, at most :data:`MAX_METADATA_DEPTH` deep."""
    if isinstance(value, _SCALARS):
        return
    if depth >= MAX_METADATA_DEPTH:
        raise ModelFileError(f"{where} is nested more than {MAX_METADATA_DEPTH} levels deep")
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        for key, item in value.items():
            _check_plain(item, f"{where}[{key!r}]", depth + 1)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_plain(item, f"{where}[{i}]", depth + 1)
    else:
        raise ModelFileError(f"{where} holds a {type(value).__name__}; metadata must be plain "
                             "str/number/bool/None in lists and str-keyed dicts")


def _owning_arrays(model: dict) -> dict:
    """A shallow copy of validated ``model`` whose weights and biases are C-contiguous
    arrays that own their memory (unpickled arrays are views of the file's buffer)."""
    return dict(model, **{key: [np.array(a, order="C", copy=True) for a in model[key]]
                          for key in ("weights", "biases")})


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
    truncated or corrupt data, a non-dict, a wrong format version, missing keys,
    layer sizes other than 784 -> ... -> 10, arrays that are not finite float32 of
    the shapes ``layer_sizes`` asks for, or mistyped metadata. The arrays returned
    are C-contiguous and own their memory.
    """
    try:
        model = _RestrictedUnpickler(io.BytesIO(data)).load()
    except ModelFileError as exc:
        raise ModelFileError(f"{source}: {exc}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, OverflowError, MemoryError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{source}: not a readable model file (truncated or corrupt: "
                             f"{type(exc).__name__}: {exc})") from None
    try:
        validate_model_dict(model)
    except ModelFileError as exc:
        raise ModelFileError(f"{source}: {exc}") from None
    return _owning_arrays(model)


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
