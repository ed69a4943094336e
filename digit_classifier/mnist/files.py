"""The MNIST file table (names, shapes, checksums) and checksum verification.

Checksums are SHA-256 of the *uncompressed* IDX content, so a file is accepted
whichever mirror or route produced it and however it was gzipped. The MD5s of the
canonical ``.gz`` downloads are kept for information only.
"""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from digit_classifier.mnist.idx import maybe_gunzip


@dataclass(frozen=True)
class MnistFile:
    """One of the four MNIST files.

    ``filename`` is the gzip name stored in the data directory, ``sha256`` the
    digest of the uncompressed IDX bytes, ``gz_md5`` the MD5 of the canonical
    gzip download, ``shape`` the array shape (uint8).
    """

    key: str
    filename: str
    sha256: str
    gz_md5: str
    shape: tuple[int, ...]


MNIST_FILES: dict[str, MnistFile] = {
    f.key: f
    for f in (
        MnistFile("train-images", "train-images-idx3-ubyte.gz",
                  "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                  "f68b3c2dcbeaaa9fbdd348bbdeb94873", (60000, 28, 28)),
        MnistFile("train-labels", "train-labels-idx1-ubyte.gz",
                  "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                  "d53e105ee54ea40749a09fcbcd1e9432", (60000,)),
        MnistFile("t10k-images", "t10k-images-idx3-ubyte.gz",
                  "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                  "9fb629c4189551a2d022fa330f9573f3", (10000, 28, 28)),
        MnistFile("t10k-labels", "t10k-labels-idx1-ubyte.gz",
                  "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                  "ec29112dd5afa0611ce80d1b7f02629c", (10000,)),
    )
}


class ChecksumError(ValueError):
    """A file's uncompressed content does not have the expected SHA-256."""


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def checked_idx_bytes(data: bytes, expected_sha256: str, name: str) -> bytes:
    """Return the uncompressed IDX bytes of ``data`` (gzip or raw) after checking them.

    Raises ValueError naming ``name`` if the gzip stream or the IDX structure is
    corrupt, and ChecksumError if the SHA-256 differs from ``expected_sha256``.
    """
    raw = maybe_gunzip(data, name)
    digest = sha256_hex(raw)
    if digest != expected_sha256:
        raise ChecksumError(f"{name}: SHA-256 of uncompressed content is {digest}, "
                            f"expected {expected_sha256}")
    return raw


def is_valid_file(path: str | os.PathLike, expected_sha256: str) -> bool:
    """Return True if ``path`` exists and its uncompressed content has ``expected_sha256``."""
    try:
        checked_idx_bytes(Path(path).read_bytes(), expected_sha256, str(path))
    except (OSError, ValueError):  # missing, unreadable, corrupt or wrong: not valid
        return False
    return True
