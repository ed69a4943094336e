"""Hypothesis strategies for fuzzing the API: each example is a corpus :class:`Case`.

Shared by tests/web/test_fuzz.py (Flask test client, few examples) and bench/fuzz_api.py
(a live server, for minutes).
"""

from __future__ import annotations

import base64
import json

from hypothesis import strategies as st

from tests.support import bad_images
from tests.support.corpus import BOUNDARY, Case, multipart

SEEDS = list(bad_images.valid_files().values())
CONTENT_TYPES = ["image/png", "image/jpeg", "image/gif", "application/json", "application/x+json",
                 f"multipart/form-data; boundary={BOUNDARY}", "multipart/form-data", "text/plain",
                 "application/octet-stream", "", "image/*;;", "multipart/form-data; boundary=\x00"]
PATHS = ["/api/v1/predict", "/api/v1/predict/batch", "/api/v1/model", "/api/v1/openapi.json", "/healthz"]
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=12)


@st.composite
def mutated_image(draw) -> bytes:
    """A valid small file of an allowed format with bytes overwritten, cut or inserted."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["set", "cut", "insert"]))
        if op == "set":
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at:at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        if not data:
            break
    return bytes(data)


def _image_value() -> st.SearchStrategy:
    b64 = (mutated_image() | st.binary(max_size=512)).map(lambda b: base64.b64encode(b).decode())
    return b64 | b64.map(lambda t: "data:image/png;base64," + t) | st.text(max_size=64) | JSON_VALUES


@st.composite
def api_case(draw) -> Case:
    """One request: an image-ish body under a (mostly) fitting content type, or JSON, or multipart."""
    kind = draw(st.sampled_from(["raw", "json", "multipart", "batch", "anything"]))
    if kind == "raw":
        return Case("raw", "POST", "/api/v1/predict", draw(mutated_image()), {"Content-Type": "image/png"})
    if kind == "json":
        body = draw(st.dictionaries(st.sampled_from(["image", "x"]), _image_value(), max_size=2) | JSON_VALUES)
        return Case("json", "POST", "/api/v1/predict", json.dumps(body).encode(), {"Content-Type": "application/json"})
    if kind in ("multipart", "batch"):
        field = "image" if kind == "multipart" else "images"
        parts = draw(st.lists(st.tuples(st.sampled_from([field, "other"]), st.one_of(st.none(), st.text(max_size=20)),
                                        st.sampled_from(["image/png", "text/plain"]), mutated_image()),
                              min_size=0, max_size=3))
        path = "/api/v1/predict" if kind == "multipart" else "/api/v1/predict/batch"
        return Case(kind, "POST", path, multipart(parts), {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]))
    path = draw(st.sampled_from(PATHS)) + draw(st.sampled_from(["", "/", "x", "?preprocessed=1", "/..%2f"]))
    body = draw(st.binary(max_size=256) | mutated_image())
    return Case("anything", method, path, body, {"Content-Type": draw(st.sampled_from(CONTENT_TYPES))})
