"""Load the four MNIST files from a data directory into a verified MnistData."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from digit_classifier.mnist.files import MNIST_FILES, MnistFile, checked_idx_bytes, sha256_hex
from digit_classifier.mnist.idx import decode_idx, maybe_gunzip

FETCH_HINT = "run `digit-classifier fetch-data` to download it"


class MissingDataError(FileNotFoundError):
    """An MNIST file is not in the data directory; the message says how to get it."""


@dataclass
class MnistData:
    """MNIST as loaded from IDX files.

    ``train_images`` (60000, 28, 28) uint8, ``train_labels`` (60000,) uint8,
    ``test_images`` (10000, 28, 28) uint8, ``test_labels`` (10000,) uint8; pixels
    0-255 with ink bright on dark. ``checksums`` maps each MNIST key
    ("train-images", ...) to the SHA-256 hex of its uncompressed IDX content.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    checksums: dict[str, str] = field(default_factory=dict)


def load_mnist(data_dir: str | os.PathLike, *, verify: bool = True,
               files: Mapping[str, MnistFile] = MNIST_FILES) -> MnistData:
    """Read and check the four MNIST ``.gz`` files in ``data_dir``.

    Always checks the structure (IDX header, uint8, the shapes in ``files``,
    labels 0-9, as many labels as images). With ``verify`` (the default) also
    checks each file's SHA-256 against ``files`` and raises ChecksumError (a
    ValueError) on a mismatch. Raises MissingDataError if a file is absent.
    """
    data_dir = Path(data_dir)
    arrays, checksums = {}, {}
    for key, mfile in files.items():
        arrays[key], checksums[key] = _load_one(data_dir / mfile.filename, mfile, verify)
    for split in ("train", "t10k"):
        if arrays[f"{split}-labels"].max(initial=0) > 9:
            raise ValueError(f"{files[split + '-labels'].filename}: labels outside 0-9")
    return MnistData(arrays["train-images"], arrays["train-labels"],
                     arrays["t10k-images"], arrays["t10k-labels"], checksums)


def _load_one(path: Path, mfile: MnistFile, verify: bool) -> tuple[np.ndarray, str]:
    """Return ``(array, sha256_hex)`` for one file after the checks of :func:`load_mnist`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise MissingDataError(f"MNIST file {path} is missing; {FETCH_HINT}") from exc
    if verify:
        raw = checked_idx_bytes(data, mfile.sha256, str(path))
        digest = mfile.sha256
    else:
        raw = maybe_gunzip(data, str(path))
        digest = sha256_hex(raw)
    array = decode_idx(raw, str(path))
    if array.dtype != np.uint8 or array.shape != mfile.shape:
        raise ValueError(f"{path}: expected uint8 {mfile.shape}, found {array.dtype} {array.shape}")
    return array, digest
