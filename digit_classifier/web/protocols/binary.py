"""The V2 binary tensor data extension: split a request body, decode raw tensors, build a binary answer.

A body is ``JSON header`` + the raw bytes of each binary tensor in order; the
header's length is the ``Inference-Header-Content-Length`` HTTP header, and each
binary tensor says its size in ``parameters.binary_data_size``. Numbers are
little-endian; a BYTES element is a 4-byte little-endian length and its bytes.
"""

import json
import struct

import numpy as np

from digit_classifier.web.protocols.errors import TensorError

HEADER = "Inference-Header-Content-Length"
#: V2 datatype -> little-endian numpy dtype of its binary form.
DTYPES = {"FP32": np.dtype("<f4"), "FP64": np.dtype("<f8"), "INT64": np.dtype("<i8"), "INT32": np.dtype("<i4"),
          "UINT8": np.dtype("u1")}


def split_body(body: bytes, header_length: str | None) -> tuple[dict, bytes]:
    """``(JSON header as a dict, the binary rest)`` of a request body; TensorError 400 if malformed."""
    if header_length is None:
        json_part, rest = body, b""
    else:
        if not header_length.strip().isdigit() or int(header_length) > len(body):
            raise TensorError(f"{HEADER}: {header_length!r} is not a length within the {len(body)}-byte body")
        json_part, rest = body[:int(header_length)], body[int(header_length):]
    try:
        header = json.loads(json_part)
    except (UnicodeDecodeError, ValueError) as exc:
        raise TensorError(f"the inference request header is not valid JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise TensorError("the inference request must be a JSON object")
    return header, rest


def deserialize_bytes(raw: bytes, where: str) -> list[bytes]:
    """BYTES tensor data (length-prefixed elements) -> list of element bytes."""
    items, offset = [], 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise TensorError(f"{where}: BYTES data ends inside an element length")
        (size,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + size > len(raw):
            raise TensorError(f"{where}: BYTES element of {size} bytes runs past the data")
        items.append(raw[offset:offset + size])
        offset += size
    return items


def numbers(raw: bytes, datatype: str, where: str) -> np.ndarray:
    """Raw little-endian tensor data of ``datatype`` -> 1-D array; TensorError if the size is off."""
    dtype = DTYPES[datatype]
    if len(raw) % dtype.itemsize:
        raise TensorError(f"{where}: {len(raw)} bytes is not a whole number of {datatype} values")
    return np.frombuffer(raw, dtype=dtype)


def serialize(array: np.ndarray, datatype: str) -> bytes:
    """An output tensor as raw little-endian bytes."""
    return np.ascontiguousarray(array, dtype=DTYPES[datatype]).tobytes()


def binary_body(header: dict, chunks: list[bytes]) -> tuple[bytes, int]:
    """``(body, JSON header length)``: the JSON header followed by the binary chunks."""
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return head + b"".join(chunks), len(head)
