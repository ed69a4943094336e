"""``digit-classifier client``: send local images to a running server (native, TF Serving v1 or V2 protocol).

Prints the same lines as ``predict`` (JSON with ``--json``), one per image in the
order given, with a progress bar on a terminal; exit status 1 if any image failed.
Only the standard library speaks HTTP here (urllib), so the client adds no dependency.
"""

from __future__ import annotations

import base64
import json
import struct
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from digit_classifier.cli import emit_error, emit_result, image_paths
from digit_classifier.predictor import DEFAULT_CONFIDENCE_THRESHOLD

PROTOCOLS = ("native", "v1", "v2")


class ClientError(ValueError):
    """The server refused an image (its message), or could not be reached."""


def add_client_parser(sub) -> None:
    """Register the ``client`` subcommand."""
    p = sub.add_parser("client", help="send images to a running server and print its predictions",
                       description="Send each image to a running digit-classifier (or any server "
                                   "speaking the chosen protocol) and print the predictions like "
                                   "`predict`. Exit status 1 if any image failed.")
    p.add_argument("url", help="server base URL, e.g. http://127.0.0.1:5000")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="image files or directories")
    p.add_argument("--protocol", choices=PROTOCOLS, default="native",
                   help="native (/api/v1/predict), v1 (TF Serving REST) or v2 (Open Inference Protocol)")
    p.add_argument("--version", type=int, default=None, dest="model_version",
                   help="model version to ask for (default: the server's default)")
    p.add_argument("--model-name", default="digits", help="model name for v1/v2 (default digits)")
    p.add_argument("--json", action="store_true", help="one JSON object per line and per image")
    p.add_argument("--probabilities", action="store_true", help="include all ten probabilities")
    p.add_argument("--concurrency", type=int, default=4, help="requests in flight at once (default 4)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    p.set_defaults(handler=cmd_client)


def _post(url: str, body: bytes, headers: dict, timeout: float) -> dict:
    """POST and return the JSON answer; ClientError with the server's message on a 4xx/5xx."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise ClientError(f"HTTP {error.code}: {_error_message(error.read())}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise ClientError(f"cannot reach {url}: {getattr(error, 'reason', error)}") from error
    except ValueError as error:
        raise ClientError(f"{url} did not answer JSON: {error}") from error


def _error_message(body: bytes) -> str:
    """The message of ``{"error": "..."}`` (protocols) or ``{"error": {"message": ...}}`` (native)."""
    try:
        error = json.loads(body)["error"]
    except (ValueError, KeyError, TypeError):
        return body[:200].decode("utf-8", "replace")
    return error.get("message", str(error)) if isinstance(error, dict) else str(error)


def _from_probabilities(probabilities: list[float]) -> dict:
    digit = max(range(len(probabilities)), key=probabilities.__getitem__)
    return {"digit": digit, "probability": probabilities[digit], "probabilities": probabilities,
            "confident": probabilities[digit] >= DEFAULT_CONFIDENCE_THRESHOLD}


def ask_native(base: str, name: str, version: int | None, raw: bytes, timeout: float) -> dict:
    """POST /api/v1/predict[?version=N] with the file as the body; the prediction dict."""
    query = f"?version={version}" if version is not None else ""
    body = _post(f"{base}/api/v1/predict{query}", raw, {"Content-Type": "image/png"}, timeout)
    return {key: body[key] for key in ("digit", "probability", "probabilities", "confident")}


def _model_path(base: str, prefix: str, name: str, version: int | None) -> str:
    path = f"{base}/{prefix}/models/{urllib.parse.quote(name, safe='')}"
    return path if version is None else f"{path}/versions/{version}"


def ask_v1(base: str, name: str, version: int | None, raw: bytes, timeout: float) -> dict:
    """TF Serving ``:predict`` with one ``{"b64": ...}`` instance; the prediction dict."""
    payload = json.dumps({"instances": [{"b64": base64.b64encode(raw).decode("ascii")}]}).encode()
    body = _post(_model_path(base, "v1", name, version) + ":predict", payload,
                 {"Content-Type": "application/json"}, timeout)
    return _from_probabilities(body["predictions"][0]["probabilities"])


def ask_v2(base: str, name: str, version: int | None, raw: bytes, timeout: float) -> dict:
    """V2 ``infer`` with the file as a binary BYTES element, JSON outputs; the prediction dict."""
    element = struct.pack("<I", len(raw)) + raw
    header = json.dumps({
        "inputs": [{"name": "image", "shape": [1], "datatype": "BYTES",
                    "parameters": {"binary_data_size": len(element)}}],
        "outputs": [{"name": "probabilities", "parameters": {"binary_data": False}}],
    }).encode()
    body = _post(_model_path(base, "v2", name, version) + "/infer", header + element,
                 {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))},
                 timeout)
    output = next(o for o in body["outputs"] if o["name"] == "probabilities")
    return _from_probabilities([float(p) for p in output["data"][:10]])


ASK = {"native": ask_native, "v1": ask_v1, "v2": ask_v2}


def _one(args, path: Path) -> tuple[Path, dict | None, Exception | None]:
    try:
        raw = path.read_bytes()
        return path, ASK[args.protocol](args.url.rstrip("/"), args.model_name, args.model_version, raw,
                                        args.timeout), None
    except (OSError, ClientError, KeyError, IndexError, TypeError) as error:
        # KeyError/IndexError/TypeError: a 200 answer without the fields the protocol promises.
        return path, None, error if isinstance(error, (OSError, ClientError)) else ClientError(
            f"unexpected answer: {type(error).__name__}: {error}")


def cmd_client(args) -> int:
    """``client``: one line (or JSON object) per image, in order; exit 1 if any image failed."""
    if args.concurrency < 1:
        raise ValueError(f"--concurrency must be >= 1, got {args.concurrency}")
    paths = list(image_paths(args.paths))
    failed = 0
    with ThreadPoolExecutor(args.concurrency) as pool, \
            tqdm(total=len(paths), unit="image", file=sys.stderr, disable=None, leave=False) as bar:
        for path, result, error in pool.map(lambda p: _one(args, p), paths):
            bar.update(1)
            with tqdm.external_write_mode():
                if error is not None:
                    failed += 1
                    emit_error(path, error, args.json)
                else:
                    emit_result(path, result, args.json, args.probabilities)
    return 1 if failed else 0
