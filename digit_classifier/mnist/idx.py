"""Read and write IDX files (the MNIST container format), gzip-compressed or raw.

An IDX file is a 4-byte magic number ``00 00 <dtype code> <ndim>``, then ``ndim``
big-endian uint32 dimension sizes, then the values in C order, big-endian.
Compression is detected from the content (gzip magic ``1f 8b``), never from the
file name, so a raw file named ``*.gz`` still reads.
"""

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from digit_classifier.util.atomic import atomic_write_bytes

#: IDX type code -> big-endian NumPy dtype, as in LeCun's format description.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES_BY_KIND = {(dt.kind, dt.itemsize): code for code, dt in IDX_DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(data: bytes) -> bool:
    """Return True when ``data`` starts with the gzip magic bytes."""
    return data[:2] == GZIP_MAGIC


def maybe_gunzip(data: bytes, name: str) -> bytes:
    """Return ``data`` decompressed if it is gzip, else unchanged.

    Raises ValueError naming ``name`` when the gzip stream is corrupt or truncated.
    """
    if not is_gzip(data):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
        raise ValueError(f"{name}: corrupt or truncated gzip data ({exc})") from exc


def decode_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse uncompressed IDX bytes into an array.

    Returns a writable, native-endian array whose shape is the file's dimensions
    and whose dtype is the one named by the type code (uint8 for MNIST).
    Raises ValueError naming ``name`` on a bad magic number, an unknown type code,
    a truncated header, or a payload whose size does not match the dimensions.
    """
    if len(data) < 4:
        raise ValueError(f"{name}: not an IDX file (only {len(data)} bytes, need a 4-byte header)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name}: bad IDX magic number {data[:4].hex()} (must start with 0000)")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"{name}: unknown IDX type code 0x{code:02x}")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{name}: truncated IDX header ({len(data)} bytes, need {header_len})")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise ValueError(
            f"{name}: IDX payload {what}: dimensions {shape} need {expected} bytes, found {actual}"
        )
    flat = np.frombuffer(data, dtype=dtype, offset=header_len)
    return flat.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gzip or raw (detected by magic bytes).

    Returns the array described by :func:`decode_idx`. Raises ValueError naming
    the file when it is empty, truncated or corrupt; FileNotFoundError if absent.
    """
    path = Path(path)
    data = path.read_bytes()
    if not data:
        raise ValueError(f"{path}: empty file, not an IDX file")
    return decode_idx(maybe_gunzip(data, str(path)), str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """Return the uncompressed IDX bytes of ``array``.

    ``array`` must have at least one dimension, each below 2**32, and a dtype IDX
    can hold: uint8, int8, int16, int32, float32 or float64 (any byte order).
    Raises ValueError naming the offending dtype or shape otherwise.
    """
    array = np.asarray(array)
    code = _CODES_BY_KIND.get((array.dtype.kind, array.dtype.itemsize))
    if code is None:
        raise ValueError(f"dtype {array.dtype} cannot be stored in IDX (use one of "
                         f"{', '.join(str(dt.newbyteorder('=')) for dt in IDX_DTYPES.values())})")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got shape {array.shape}")
    if max(array.shape) >= 2**32:
        raise ValueError(f"IDX dimensions must be below 2**32, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()


def gzip_bytes(data: bytes) -> bytes:
    """Gzip ``data`` deterministically (mtime 0, no file name in the header)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file, gzip-compressed if the name ends with ``.gz``.

    The write is atomic (temporary file in the same directory, then rename), so a
    crash never leaves a half-written file under ``path``. See :func:`encode_idx`
    for the dtypes and shapes accepted.
    """
    path = Path(path)
    data = encode_idx(array)
    atomic_write_bytes(path, gzip_bytes(data) if path.name.endswith(".gz") else data)
