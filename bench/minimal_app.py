"""The comparison endpoint for bench/serve.py: Flask reading the same multipart upload, answering constant JSON.

It does everything our ``POST /api/v1/predict`` does except the work itself
(decode, preprocess, forward pass), so the throughput ratio shows what that
work costs under the same Apache + mod_wsgi settings.
"""

from flask import Flask, jsonify, request

application = Flask(__name__)

#: The shape of a real answer, so JSON encoding costs the same order.
CONSTANT = {"digit": 7, "probability": 0.99, "probabilities": [0.001] * 9 + [0.991], "confident": True}


@application.post("/api/v1/predict")
def predict():
    """Read the multipart field ``image`` completely, then answer the constant JSON."""
    upload = request.files.get("image")
    if upload is None:
        return jsonify(error="missing field 'image'"), 400
    size = len(upload.read())
    return jsonify({**CONSTANT, "bytes": size})


@application.get("/healthz")
def healthz():
    """Always ready."""
    return jsonify(status="ok")
