"""Benchmark: what each inference protocol costs per image under Apache + mod_wsgi.

One mod_wsgi-express server (127.0.0.1, daemon mode, 2 processes x 4 threads,
wsgi.py with a real model) answers, from one client thread, the same 64 real
MNIST test digits as PNG files sent as: 64 native ``/api/v1/predict`` requests;
one V2 ``infer`` batch (BYTES, binary extension); one V2 batch in JSON (base64);
one TF Serving ``:predict`` batch (``{"b64"}``); and the same digits already in
MNIST form as FP32 rows (V2 binary, V2 JSON, TF Serving arrays). Each case runs
``--rounds`` times after one warm-up; the median is reported.

Usage::

    python bench/protocols.py [--model FILE] [--rounds 7]

Writes bench/results/protocols.json and protocols.md and prints the table.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import platform
import secrets
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import requests
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "bench"))
from live import load_express  # noqa: E402
RESULTS_DIR = REPO_ROOT / "bench" / "results"
BATCH = 64



def digits(model_path: Path) -> tuple[list[bytes], np.ndarray]:
    """64 MNIST test digits: dark-on-light PNG files, and (64, 784) float32 rows in MNIST form."""
    from digit_classifier.config import default_data_dir
    from digit_classifier.mnist import load_mnist
    from digit_classifier.predictor import Predictor
    from digit_classifier.preprocessing import prepare_mnist

    pixels = load_mnist(default_data_dir()).test_images[:BATCH]
    pngs = []
    for image in pixels:
        buffer = io.BytesIO()
        Image.fromarray(255 - image).resize((112, 112)).save(buffer, "PNG")
        pngs.append(buffer.getvalue())
    return pngs, prepare_mnist(pixels, Predictor.from_file(model_path).preprocess_config)


def v2_binary(name: str, datatype: str, shape: list[int], raw: bytes) -> tuple[bytes, dict]:
    header = json.dumps({"inputs": [{"name": name, "shape": shape, "datatype": datatype,
                                     "parameters": {"binary_data_size": len(raw)}}],
                         "parameters": {"binary_data_output": True}}).encode()
    return header + raw, {"Inference-Header-Content-Length": str(len(header)),
                          "Content-Type": "application/octet-stream"}


def cases(url: str, pngs: list[bytes], rows: np.ndarray) -> dict:
    """name -> a function sending the 64 digits once and returning the digits answered."""
    s = requests.Session()
    b64 = [base64.b64encode(p).decode() for p in pngs]
    bytes_raw = b"".join(len(p).to_bytes(4, "little") + p for p in pngs)
    v2 = f"{url}/v2/models/digits/infer"
    tf = f"{url}/v1/models/digits:predict"
    image_body, image_headers = v2_binary("image", "BYTES", [BATCH], bytes_raw)
    rows_body, rows_headers = v2_binary("input", "FP32", [BATCH, 784], rows.astype("<f4").tobytes())

    def native():
        return [s.post(f"{url}/api/v1/predict", data=p, headers={"Content-Type": "image/png"}).json()["digit"]
                for p in pngs]

    def v2_out(answer):
        if "Inference-Header-Content-Length" in answer.headers:
            n = int(answer.headers["Inference-Header-Content-Length"])
            head = json.loads(answer.content[:n])
            offset = n + sum(o["parameters"]["binary_data_size"] for o in head["outputs"][:1])
            return np.frombuffer(answer.content[offset:offset + 8 * BATCH], "<i8").tolist()
        return next(o["data"] for o in answer.json()["outputs"] if o["name"] == "digit")

    return {
        "native, 64 requests (PNG body)": native,
        "V2 BYTES, binary, 1 request": lambda: v2_out(s.post(v2, data=image_body, headers=image_headers)),
        "V2 BYTES, JSON base64, 1 request": lambda: v2_out(s.post(v2, json={"inputs": [
            {"name": "image", "shape": [BATCH], "datatype": "BYTES", "data": b64}]})),
        "TF Serving b64, 1 request": lambda: [p["digit"] for p in s.post(tf, json={
            "instances": [{"b64": t} for t in b64]}).json()["predictions"]],
        "V2 FP32 rows, binary, 1 request": lambda: v2_out(s.post(v2, data=rows_body, headers=rows_headers)),
        "V2 FP32 rows, JSON, 1 request": lambda: v2_out(s.post(v2, json={"inputs": [
            {"name": "input", "shape": [BATCH, 784], "datatype": "FP32", "data": rows.reshape(-1).tolist()}]})),
        "TF Serving arrays, 1 request": lambda: [p["digit"] for p in s.post(tf, json={
            "instances": rows.tolist()}).json()["predictions"]],
    }


def measure(url: str, pngs, rows, rounds: int) -> list[dict]:
    results = []
    for name, send in cases(url, pngs, rows).items():
        answered = send()  # warm-up, and the answers to compare
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            send()
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        results.append({"case": name, "median_s": round(median, 4), "images_per_s": round(BATCH / median, 1),
                        "digits": answered})
    return results


def write(results: list[dict], meta: dict) -> str:
    reference = results[0]["digits"]
    lines = [f"# Inference protocols: {BATCH} real MNIST digits, one client thread", "",
             f"mod_wsgi-express, 2 processes x 4 threads, {meta['rounds']} rounds (median); "
             f"{meta['machine']}, {meta['date']}.", "",
             "| case | median s | images/s | same digits as native |", "|---|---|---|---|"]
    for r in results:
        same = "yes" if r["digits"] == reference else "rows: MNIST form" if "rows" in r["case"] or "arrays" in r[
            "case"] else "NO"
        lines.append(f"| {r['case']} | {r['median_s']:.3f} | {r['images_per_s']:.0f} | {same} |")
    text = "\n".join(lines) + "\n"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "protocols.json").write_text(json.dumps({**meta, "results": results}, indent=1) + "\n")
    (RESULTS_DIR / "protocols.md").write_text(text)
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "data" / "model.pkl")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    express = load_express()
    folder = express.make_shared_dir("dc-bench-protocols-")
    key = folder / "secret_key"
    express.write_secret_key(key, secrets.token_hex(32))
    env = {"DIGIT_CLASSIFIER_MODEL": str(args.model.resolve()), "DIGIT_CLASSIFIER_SECRET_KEY_FILE": str(key),
           "PYTHONPATH": str(REPO_ROOT), "OPENBLAS_NUM_THREADS": "1"}
    pngs, rows = digits(args.model)
    server = express.ExpressServer(script=REPO_ROOT / "wsgi.py", env=env, processes=2, threads=4).start(timeout=90)
    try:
        results = measure(server.url, pngs, rows, args.rounds)
    finally:
        server.stop()
    meta = {"rounds": args.rounds, "batch": BATCH, "model": str(args.model), "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d")}
    print(write(results, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
