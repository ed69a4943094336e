"""IDX reader/writer: round trips over dtypes, shapes and compression; corrupt input rejected."""

import gzip

import numpy as np
import pytest

from digit_classifier.mnist import decode_idx, encode_idx, read_idx, write_idx
from digit_classifier.util.atomic import atomic_writer

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]
SHAPES = [(5,), (3, 4), (2, 28, 28), (2, 1, 3, 2), (0, 3)]


def _random_array(rng, dtype, shape):
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)


@pytest.mark.parametrize("suffix", [".gz", ""])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip(tmp_path, dtype, shape, suffix):
    array = _random_array(np.random.default_rng(0), dtype, shape)
    path = tmp_path / f"a-idx{len(shape)}{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, array)
    assert back.dtype.isnative and back.flags.writeable
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    assert list(tmp_path.iterdir()) == [path]  # the atomic writer left no temporary file


def test_header_layout_is_big_endian_magic_and_dims():
    data = encode_idx(np.arange(6, dtype=np.int16).reshape(2, 3))
    assert data[:4] == bytes([0, 0, 0x0B, 2])
    assert data[4:12] == (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert data[12:14] == (0).to_bytes(2, "big") and data[14:16] == (1).to_bytes(2, "big")


def test_compression_detected_by_content_not_name(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    raw_named_gz = tmp_path / "raw.gz"
    raw_named_gz.write_bytes(encode_idx(array))
    gz_named_raw = tmp_path / "packed.idx"
    gz_named_raw.write_bytes(gzip.compress(encode_idx(array)))
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)


def test_big_endian_input_array_is_written_correctly(tmp_path):
    array = np.array([1, -2, 300000], dtype=">i4")
    write_idx(tmp_path / "b.idx", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "b.idx"), array.astype(np.int32))


GOOD = encode_idx(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))
CORRUPT = {
    "empty": b"",
    "too short for magic": b"\x00\x00",
    "bad magic": b"\x12\x34" + GOOD[2:],
    "unknown type code": GOOD[:2] + b"\x07" + GOOD[3:],
    "zero dimensions": b"\x00\x00\x08\x00",
    "truncated header": GOOD[:9],
    "truncated payload": GOOD[:-1],
    "trailing bytes": GOOD + b"\x00",
    "count too large": GOOD[:4] + (3).to_bytes(4, "big") + GOOD[8:],
    "count too small": GOOD[:4] + (1).to_bytes(4, "big") + GOOD[8:],
    "truncated gzip": gzip.compress(GOOD)[:-10],
    "garbage gzip": b"\x1f\x8b" + b"not really gzip data",
    "gzip of bad magic": gzip.compress(b"\x01\x00" + GOOD[2:]),
}


@pytest.mark.parametrize("kind", sorted(CORRUPT))
def test_corrupt_input_raises_value_error_naming_file(tmp_path, kind):
    path = tmp_path / f"corrupt-{kind.replace(' ', '_')}.gz"
    path.write_bytes(CORRUPT[kind])
    with pytest.raises(ValueError, match=path.name):
        read_idx(path)


def test_decode_names_the_source():
    with pytest.raises(ValueError, match="my-buffer"):
        decode_idx(GOOD[:-3], "my-buffer")


@pytest.mark.parametrize("array", [np.zeros(3, np.int64), np.zeros(3, np.float16),
                                   np.zeros(3, bool), np.float32(1.0)], ids=str)
def test_unsupported_arrays_rejected(tmp_path, array):
    with pytest.raises(ValueError, match="dtype|dimensions"):
        write_idx(tmp_path / "x.idx", array)
    assert not list(tmp_path.iterdir())


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.idx")


def test_atomic_writer_keeps_old_file_on_interrupt(tmp_path):
    target = tmp_path / "f.idx"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_writer(target) as handle:
            handle.write(b"half of the new cont")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_writer(target) as handle:
        handle.write(b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o644
