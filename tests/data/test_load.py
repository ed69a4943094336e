"""load_mnist on the real data and on synthetic files; the SHA256SUMS manifest matches the table."""

import gzip
import shutil
import subprocess
from dataclasses import replace

import numpy as np
import pytest

from digit_classifier.config import REPO_ROOT
from digit_classifier.mnist import MNIST_FILES, ChecksumError, MissingDataError, load_mnist, write_idx


def test_real_mnist_loads_with_checksums(mnist_dir):
    data = load_mnist(mnist_dir)
    expected = {"train_images": (60000, 28, 28), "train_labels": (60000,),
                "test_images": (10000, 28, 28), "test_labels": (10000,)}
    for name, shape in expected.items():
        array = getattr(data, name)
        assert array.shape == shape and array.dtype == np.uint8, name
    assert data.checksums == {key: f.sha256 for key, f in MNIST_FILES.items()}
    for labels in (data.train_labels, data.test_labels):
        assert np.array_equal(np.unique(labels), np.arange(10))
    assert data.train_images.max() == 255 and data.train_images.min() == 0
    # Ink is bright on a dark background: the border pixels are almost all zero.
    assert (data.test_images[:, 0, :] == 0).mean() > 0.99


def test_manifest_matches_table_and_real_files(mnist_dir, tmp_path):
    lines = (REPO_ROOT / "data" / "SHA256SUMS").read_text().splitlines()
    manifest = {name: digest for digest, name in (line.split("  ") for line in lines)}
    idx_name = {f.key: f.filename.removesuffix(".gz") for f in MNIST_FILES.values()}   # as in SHA256SUMS
    assert manifest == {idx_name[f.key]: f.sha256 for f in MNIST_FILES.values()}
    for f in MNIST_FILES.values():
        (tmp_path / idx_name[f.key]).write_bytes(gzip.decompress((mnist_dir / f.filename).read_bytes()))
    shutil.copy(REPO_ROOT / "data" / "SHA256SUMS", tmp_path)
    check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def _write_synthetic(directory, synthetic):
    for key, f in synthetic.files.items():
        (directory / f.filename).write_bytes(synthetic.gz[key])


def test_synthetic_load(tmp_path, synthetic):
    _write_synthetic(tmp_path, synthetic)
    data = load_mnist(tmp_path, files=synthetic.files)
    np.testing.assert_array_equal(data.train_images, synthetic.arrays["train-images"])
    np.testing.assert_array_equal(data.test_labels, synthetic.arrays["t10k-labels"])
    assert data.checksums == {key: f.sha256 for key, f in synthetic.files.items()}


def test_missing_file_says_how_to_fetch(tmp_path, synthetic):
    _write_synthetic(tmp_path, synthetic)
    (tmp_path / synthetic.files["t10k-images"].filename).unlink()
    with pytest.raises(MissingDataError, match="t10k-images-idx3-ubyte.gz.*digit-classifier fetch-data"):
        load_mnist(tmp_path, files=synthetic.files)


def test_empty_dir_gives_missing_data_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="fetch-data"):
        load_mnist(tmp_path)


def test_checksum_mismatch_rejected_unless_verify_off(tmp_path, synthetic):
    _write_synthetic(tmp_path, synthetic)
    files = dict(synthetic.files)
    files["train-labels"] = replace(files["train-labels"], sha256="a" * 64)
    with pytest.raises(ChecksumError, match="train-labels-idx1-ubyte.gz"):
        load_mnist(tmp_path, files=files)
    data = load_mnist(tmp_path, files=files, verify=False)
    assert data.checksums["train-labels"] == synthetic.files["train-labels"].sha256


@pytest.mark.parametrize("bad", ["shape", "labels"])
def test_structure_checked_even_without_verify(tmp_path, synthetic, bad):
    _write_synthetic(tmp_path, synthetic)
    files = dict(synthetic.files)
    if bad == "shape":
        files["train-images"] = replace(files["train-images"], shape=(7, 20, 20))
        match = "train-images-idx3-ubyte.gz.*expected uint8"
    else:
        labels = synthetic.arrays["t10k-labels"].copy()
        labels[0] = 11
        write_idx(tmp_path / files["t10k-labels"].filename, labels)
        match = "t10k-labels-idx1-ubyte.gz: labels outside 0-9"
    with pytest.raises(ValueError, match=match):
        load_mnist(tmp_path, files=files, verify=False)
