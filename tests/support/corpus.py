"""The bad-request corpus: 200+ hostile HTTP requests, and the check every answer must pass.

Each :class:`Case` is a plain request (method, path, headers, body bytes), so the same
corpus runs through Flask's test client (tests/web/test_bad_inputs.py) and against a
live server (bench/bad_inputs.py). :func:`problems` says what is wrong with an answer:
a 5xx, or an error under /api/ that is not ``{"error": {"status", "code", "message"}}``.
"""

from __future__ import annotations

import base64
import json
import posixpath
from urllib.parse import unquote
from dataclasses import dataclass, field

from tests.support import bad_images

BOUNDARY = "dc-corpus-boundary"


@dataclass(frozen=True)
class Case:
    """One request of the corpus."""

    name: str
    method: str
    path: str
    body: bytes = b""
    headers: dict = field(default_factory=dict)


def multipart(parts: list[tuple[str, str | None, str, bytes]], boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body from (field, filename or None, content type, data) parts."""
    out = b""
    for name, filename, ctype, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                f"Content-Type: {ctype}\r\n\r\n").encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
JSON = {"Content-Type": "application/json"}


def file_cases() -> list[Case]:
    """Every bad file, sent as a raw image body, multipart, JSON base64, in a batch and to the page."""
    cases = []
    for name, data in bad_images.all_bad_files().items():
        cases.append(Case(f"raw:{name}", "POST", "/api/v1/predict", data, {"Content-Type": "image/png"}))
        cases.append(Case(f"multipart:{name}", "POST", "/api/v1/predict",
                          multipart([("image", f"{name}.png", "image/png", data)]), MULTIPART))
        cases.append(Case(f"json:{name}", "POST", "/api/v1/predict",
                          json.dumps({"image": base64.b64encode(data).decode()}).encode(), JSON))
    batch = [("images", f"{n}.bin", "application/octet-stream", d)
             for n, d in list(bad_images.all_bad_files().items())[:32]]
    cases.append(Case("batch:32-bad-files", "POST", "/api/v1/predict/batch", multipart(batch), MULTIPART))
    for name in ("tiff-bad-second-ifd", "png-zlib-bomb-6000", "EPS", "PNG-truncated-half"):
        data = bad_images.all_bad_files()[name]
        cases.append(Case(f"page:{name}", "POST", "/predict",
                          multipart([("image", f"{name}.png", "image/png", data)]), MULTIPART))
    return cases


def json_cases() -> list[Case]:
    """Deep, huge, mistyped JSON and bad base64."""
    bodies = {
        "deep-list-100000": b"[" * 100_000 + b"]" * 100_000,
        "deep-dict-50000": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "deep-in-image-field": b'{"image": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "huge-array": b"[" + b"0," * 1_000_000 + b"0]",
        "huge-string": json.dumps({"image": "A" * 3_000_001}).encode(),
        "not-json": b"{this is not json",
        "empty": b"",
        "null": b"null", "number": b"42", "string": b'"image"', "list": b"[1, 2]",
        "no-image-field": b'{"picture": "abc"}',
        "image-null": b'{"image": null}', "image-number": b'{"image": 12}',
        "image-list": b'{"image": [1, 2, 3]}', "image-dict": b'{"image": {"a": 1}}',
        "image-bool": b'{"image": true}', "image-empty": b'{"image": ""}',
        "bad-base64": b'{"image": "!!!not base64!!!"}', "bad-padding": b'{"image": "abcde"}',
        "data-url-no-base64": b'{"image": "data:image/png,abcd"}',
        "data-url-no-comma": b'{"image": "data:image/png;base64"}',
        "data-url-text": json.dumps({"image": "data:text/plain;base64,"
                                     + base64.b64encode(b"hello").decode()}).encode(),
        "lone-surrogate": b'{"image": "\\ud800"}',
        "invalid-utf8": b'{"image": "\xff\xfe"}',
        "nan": b'{"image": NaN}', "big-int": b'{"image": ' + b"9" * 5000 + b"}",
        "trailing-garbage": b'{"image": "aGVsbG8="} xyz',
        "bom": b'\xef\xbb\xbf{"image": "aGVsbG8="}',
        "utf16": '{"image": "aGVsbG8="}'.encode("utf-16"),
    }
    cases = [Case(f"body:{n}", "POST", "/api/v1/predict", b, JSON) for n, b in bodies.items()]
    cases.append(Case("body:+json-deep", "POST", "/api/v1/predict", bodies["deep-list-100000"],
                      {"Content-Type": "application/vnd.api+json"}))
    return cases


def protocol_cases() -> list[Case]:
    """Wrong methods, wrong paths, wrong content types, multipart oddities, batch abuse."""
    png = bad_images.valid_files()["PNG"]
    cases = [Case(f"method:{m}-predict", m, "/api/v1/predict") for m in ("GET", "PUT", "DELETE", "PATCH")]
    cases += [Case(f"method:{m}-{p}", m, p) for m in ("POST", "PUT", "DELETE")
              for p in ("/api/v1/model", "/api/v1/openapi.json", "/healthz")]
    cases += [Case("method:GET-batch", "GET", "/api/v1/predict/batch"),
              Case("method:DELETE-page", "DELETE", "/predict")]
    cases += [Case(f"path:{p}", "GET", p) for p in (
        "/api/v1/nope", "/api/v2/predict", "/api/v1/predict/", "/api/v1/../../etc/passwd",
        "/api/v1/%2e%2e/%2e%2e/etc/passwd", "/api/v1/model%00", "/api/v1/" + "a" * 4000,
        "/api/v1/predict?x=" + "%" * 10, "/api/v1/%ff%fe", "/report/../../etc/passwd",
        "/static/../wsgi.py", "/nope", "/%00", "/predict/x")]
    ctypes = ("text/plain", "application/xml", "application/octet-stream", "application/x-www-form-urlencoded",
              "multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; boundary=x",
              "image/", "image/svg+xml", "garbage", ";;;", "application/json; charset=latin-9")
    cases += [Case(f"ctype:{c}", "POST", "/api/v1/predict", png, {"Content-Type": c}) for c in ctypes]
    cases.append(Case("ctype:none", "POST", "/api/v1/predict", png))
    oddities = {
        "no-image-field": multipart([("picture", "a.png", "image/png", png)]),
        "field-not-a-file": multipart([("image", None, "text/plain", b"hello")]),
        "empty-file": multipart([("image", "a.png", "image/png", b"")]),
        "wrong-boundary": multipart([("image", "a.png", "image/png", png)], boundary="other"),
        "unterminated": multipart([("image", "a.png", "image/png", png)])[:-30],
        "no-parts": f"--{BOUNDARY}--\r\n".encode(),
        "garbage": b"\x00\xff" * 500,
        "two-images": multipart([("image", "a.png", "image/png", png), ("image", "b.png", "image/png", b"x")]),
        "filename-traversal": multipart([("image", "../../etc/passwd", "image/png", png)]),
        "header-injection": multipart([("image", 'a.png"\r\nX-Evil: 1', "image/png", png)]),
        "huge-part-headers": f"--{BOUNDARY}\r\nX-Long: {'a' * 100_000}\r\n\r\n".encode() + png,
    }
    for name, body in oddities.items():
        cases.append(Case(f"multipart:{name}", "POST", "/api/v1/predict", body, MULTIPART))
        cases.append(Case(f"batch-multipart:{name}", "POST", "/api/v1/predict/batch",
                          body.replace(b'name="image"', b'name="images"'), MULTIPART))
    cases += [Case("batch:json", "POST", "/api/v1/predict/batch", b'{"images": []}', JSON),
              Case("batch:65-images", "POST", "/api/v1/predict/batch",
                   multipart([("images", f"{i}.png", "image/png", png) for i in range(65)]), MULTIPART),
              Case("batch:over-pixel-budget", "POST", "/api/v1/predict/batch",
                   multipart([("images", f"{i}.png", "image/png", bad_images.png_zlib_bomb(6000))
                              for i in range(8)]), MULTIPART),
              Case("page:no-file", "POST", "/predict", multipart([("other", None, "text/plain", b"x")]),
                   MULTIPART)]
    return cases


def all_cases() -> list[Case]:
    """The whole corpus (names are unique)."""
    return file_cases() + json_cases() + protocol_cases()


def problems(case: Case, status: int, content_type: str, body: bytes) -> list[str]:
    """What is wrong with the answer to ``case``: [] when it is a fine answer."""
    found = []
    if status >= 500:
        found.append(f"status {status}")
    # The path the server routes: percent-decoded, dot segments resolved (Apache does both).
    raw = unquote(case.path.split("?")[0])
    path = posixpath.normpath(raw) + ("/" if raw.endswith("/") and raw != "/" else "")
    if status >= 400 and (path.startswith("/api/") or path == "/healthz"):
        try:
            error = json.loads(body)["error"]
            ok = (isinstance(error, dict) and error.get("status") == status
                  and isinstance(error.get("code"), str) and isinstance(error.get("message"), str))
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok or not content_type.startswith("application/json"):
            found.append(f"error {status} is not our JSON error shape ({content_type}): {body[:120]!r}")
    return found
