"""Open Inference Protocol V2 bodies: the input tensor out of a request, the output tensors into an answer.

Inputs (exactly one): ``image`` BYTES ``[n]``, one image file per element (raw bytes
in binary form, base64 text in JSON form), or ``input`` FP32 ``[n, 784]`` or
``[n, 28, 28]`` in MNIST form. Outputs: ``probabilities`` FP32 ``[n, 10]``, ``digit``
INT64 ``[n]``, ``probability`` FP32 ``[n]``; binary when asked for.
"""

from dataclasses import dataclass

import numpy as np

from digit_classifier.web.protocols import binary
from digit_classifier.web.protocols.errors import TensorError
from digit_classifier.web.protocols.tensors import OUTPUTS, check_batch, decode_b64, mnist_rows

INPUTS = {"image": ("BYTES", [-1]), "input": ("FP32", [-1, 784])}


@dataclass(frozen=True)
class InferInput:
    """The one input of a request: ``images`` (list of file bytes) or ``rows`` ((n, 784) float32)."""

    name: str
    images: list[bytes] | None = None
    rows: np.ndarray | None = None


def _shape(tensor: dict, where: str) -> list[int]:
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise TensorError(f"{where}: 'shape' must be a list of non-negative integers, got {shape!r}")
    return shape


def _flat(data, where: str) -> list:
    """V2 JSON ``data``: a flat or nested (row-major) list -> flat list."""
    if not isinstance(data, list):
        raise TensorError(f"{where}: 'data' must be a list, got {type(data).__name__}")
    flat: list = []
    stack = [iter(data)]
    while stack:
        item = next(stack[-1], StopIteration)
        if item is StopIteration:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            flat.append(item)
    return flat


def _raw(tensor: dict, rest: bytes, offset: int, where: str) -> tuple[bytes | None, int]:
    """``(binary data or None for JSON data, next offset)`` of one input."""
    parameters = tensor.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise TensorError(f"{where}: 'parameters' must be an object")
    size = parameters.get("binary_data_size")
    if size is None:
        if "data" not in tensor:
            raise TensorError(f"{where}: no 'data' and no binary_data_size")
        return None, offset
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or offset + size > len(rest):
        raise TensorError(f"{where}: binary_data_size {size!r} does not fit the {len(rest) - offset} "
                          "binary bytes left in the body")
    return rest[offset:offset + size], offset + size


def _images(tensor: dict, raw: bytes | None, shape: list[int], where: str) -> list[bytes]:
    if tensor.get("datatype") != "BYTES":
        raise TensorError(f"{where}: datatype must be BYTES, got {tensor.get('datatype')!r}")
    if len(shape) != 1:
        raise TensorError(f"{where}: shape must be [n], got {shape}")
    if raw is not None:
        items = binary.deserialize_bytes(raw, where)
    else:
        items = [decode_b64(text, f"{where}[{i}]") for i, text in enumerate(_flat(tensor["data"], where))]
    if len(items) != shape[0]:
        raise TensorError(f"{where}: shape {shape} but {len(items)} elements")
    return items


def _rows(tensor: dict, raw: bytes | None, shape: list[int], where: str) -> np.ndarray:
    if tensor.get("datatype") != "FP32":
        raise TensorError(f"{where}: datatype must be FP32, got {tensor.get('datatype')!r}")
    if shape[1:] not in ([784], [28, 28]):
        raise TensorError(f"{where}: shape must be [n, 784] or [n, 28, 28], got {shape}")
    values = binary.numbers(raw, "FP32", where) if raw is not None else _flat(tensor["data"], where)
    if len(values) != int(np.prod(shape)):
        raise TensorError(f"{where}: shape {shape} needs {int(np.prod(shape))} values, got {len(values)}")
    if raw is None and not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        raise TensorError(f"{where}: FP32 data must be numbers")
    return mnist_rows(np.asarray(values, dtype=np.float32).reshape(shape), where)


def read_input(header: dict, rest: bytes, limit: int) -> InferInput:
    """The request's one input tensor; TensorError 400 for anything malformed or over ``limit``."""
    inputs = header.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        raise TensorError("'inputs' must be a list of exactly one tensor: 'image' (BYTES) or 'input' (FP32)")
    tensor = inputs[0]
    name = tensor.get("name")
    if name not in INPUTS:
        raise TensorError(f"unknown input {name!r}: use 'image' (BYTES) or 'input' (FP32)")
    where = f"input {name!r}"
    shape = _shape(tensor, where)
    if shape:
        check_batch(shape[0], limit)
    raw, used = _raw(tensor, rest, 0, where)
    if used != len(rest):
        raise TensorError(f"{len(rest) - used} binary bytes in the body belong to no input")
    if name == "image":
        return InferInput(name, images=_images(tensor, raw, shape, where))
    return InferInput(name, rows=_rows(tensor, raw, shape, where))


def requested_outputs(header: dict) -> dict[str, bool]:
    """``{output name: binary?}`` in answer order; all three when the request names none."""
    parameters = header.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise TensorError("'parameters' must be an object")
    all_binary = parameters.get("binary_data_output") is True
    asked = header.get("outputs")
    if asked is None:
        return {name: all_binary for name in OUTPUTS}
    if not isinstance(asked, list) or not asked or not all(isinstance(o, dict) for o in asked):
        raise TensorError("'outputs' must be a non-empty list of {'name': ...} objects")
    chosen = {}
    for output in asked:
        if output.get("name") not in OUTPUTS:
            raise TensorError(f"unknown output {output.get('name')!r}: choose from {list(OUTPUTS)}")
        flag = (output.get("parameters") or {}).get("binary_data", all_binary)
        chosen[output["name"]] = flag is True
    return chosen


def answer(tensors: dict[str, np.ndarray], outputs: dict[str, bool], head: dict) -> tuple[dict, list[bytes]]:
    """``(JSON answer, binary chunks)``: ``head`` (model_name, model_version, id) plus the outputs."""
    chunks, described = [], []
    for name, as_binary in outputs.items():
        datatype = OUTPUTS[name][0]
        array = tensors[name]
        entry = {"name": name, "datatype": datatype, "shape": list(array.shape)}
        if as_binary:
            chunk = binary.serialize(array, datatype)
            entry["parameters"] = {"binary_data_size": len(chunk)}
            chunks.append(chunk)
        else:
            entry["data"] = array.reshape(-1).tolist()
        described.append(entry)
    return {**head, "outputs": described}, chunks
