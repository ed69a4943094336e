"""Benchmark: throughput and latency of POST /api/v1/predict under Apache + mod_wsgi.

Three servers with the same mod_wsgi-express settings (127.0.0.1, daemon mode,
2 processes x 4 threads): our wsgi.py with a real model; bench/minimal_app.py,
a Flask endpoint that reads the same multipart upload and answers constant JSON; and
bench/forward_only_app.py, our app with decoding and preprocessing taken out (the
forward pass on a fixed input), whose throughput bounds what any faster image
pipeline could reach.
``wrk`` (Debian package ``wrk``; a C client that leaves the CPU to the servers)
sends the same small PNG over 16 connections for a bounded time; the servers
take turns, in a rotating order, so background load hits them alike.

Usage::

    python bench/serve.py [--model FILE] [--duration 15] [--rounds 3] [--connections 16]

Writes bench/results/serve.json and serve.md and prints them. Target: our
endpoint reaches at least 80 % of the minimal endpoint's requests per second.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "bench"))
from live import load_express  # noqa: E402
RESULTS_DIR = REPO_ROOT / "bench" / "results"
SAMPLE_PNG = REPO_ROOT / "deployment_scripts" / "sample_digit_7.png"
TARGET_RATIO = 0.8

#: wrk script: POST the prepared multipart body; print one JSON line of figures at the end.
WRK_LUA = r"""
local body_file = os.getenv("BENCH_BODY_FILE")
local f = assert(io.open(body_file, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE")

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""



def multipart_body(png: bytes) -> tuple[bytes, str]:
    """The multipart/form-data body with field ``image`` holding ``png``, and its Content-Type."""
    boundary = "bench" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"digit.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def run_wrk(url: str, workdir: Path, duration: int, connections: int, threads: int) -> dict:
    """One wrk run against ``url``; returns its figures (rps, latencies in ms, errors)."""
    env = {**os.environ, "BENCH_BODY_FILE": str(workdir / "body.bin"),
           "BENCH_CONTENT_TYPE": (workdir / "content_type.txt").read_text()}
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                          "--timeout", "10s", "-s", str(workdir / "post.lua"), url],
                         env=env, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH_JSON "))
    raw = json.loads(line[len("BENCH_JSON "):])
    seconds = raw["duration_us"] / 1e6
    return {"requests": raw["requests"], "seconds": round(seconds, 2),
            "rps": round(raw["requests"] / seconds, 1),
            "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "max_ms": raw["max_us"] / 1000, "errors": raw["errors"]}


def check_answer(url: str, png: bytes, expect_digit: bool) -> None:
    """One request by hand: the endpoint must answer 200 JSON (with a digit for our app)."""
    response = requests.post(url, files={"image": ("digit.png", png, "image/png")}, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered HTTP {response.status_code}: {response.text[:300]}")
    if expect_digit and response.json().get("digit") != 7:
        raise RuntimeError(f"{url} did not recognise the sample 7: {response.text[:300]}")


def combine(runs: list[dict]) -> dict:
    """Figures over several rounds: total requests / total time; latency percentiles as the median round."""
    total_requests = sum(r["requests"] for r in runs)
    total_seconds = sum(r["seconds"] for r in runs)
    middle = sorted(runs, key=lambda r: r["p50_ms"])[len(runs) // 2]
    errors = {k: sum(r["errors"][k] for r in runs) for k in runs[0]["errors"]}
    return {"rps": round(total_requests / total_seconds, 1), "requests": total_requests,
            "p50_ms": middle["p50_ms"], "p99_ms": max(r["p99_ms"] for r in runs),
            "errors": errors, "rounds": runs}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None,
                        help="model file (default: $DIGIT_CLASSIFIER_MODEL or data/model.pkl)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per server, order rotating (default 3)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured load first (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--processes", type=int, default=2, help="mod_wsgi daemon processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per daemon process (default 4)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    if min(args.duration, args.rounds, args.connections, args.processes, args.threads) < 1:
        parser.error("durations and counts must be >= 1")
    return args


def write_results(results: dict, out: Path) -> str:
    """Write serve.json and serve.md into ``out``; return the markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "serve.json").write_text(json.dumps(results, indent=2) + "\n")
    cfg = results["config"]
    lines = [
        "# Serving benchmark: POST /api/v1/predict under Apache + mod_wsgi", "",
        f"Apache + mod_wsgi daemon mode, {cfg['processes']} processes x {cfg['threads']} threads, 127.0.0.1; "
        f"wrk {cfg['wrk_threads']} threads, {cfg['connections']} connections, "
        f"{cfg['rounds']} x {cfg['duration_s']} s per server (rotating order), {cfg['image_bytes']}-byte PNG "
        f"(multipart field `image`). {results['machine']['cpus']} CPUs, load average "
        f"{results['machine']['loadavg_before']} before the run.", "",
        "| endpoint | requests/s | p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|",
    ]
    for name, label in [("minimal", "minimal Flask endpoint (constant JSON)"), ("app", "digit_classifier"),
                        ("forward_only", "digit_classifier without decoding/preprocessing (ceiling)")]:
        r = results["endpoints"][name]
        lines.append(f"| {label} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
                     f"{sum(r['errors'].values())} |")
    verdict = "meets" if results["passed"] else "misses"
    lines += ["", f"Ratio: **{100 * results['ratio']:.0f} %** of the minimal endpoint's throughput "
                  f"({verdict} the {100 * TARGET_RATIO:.0f} % target).", "",
              f"Ceiling: the forward pass and web layer alone reach **{100 * results['ratio_forward_only']:.0f} %**; "
              "no faster decoding or preprocessing can take the endpoint above that.", "",
              "Caveat: the client and the servers share the machine's cores; wrk's own CPU use and any "
              "background load lower every figure, so read the ratios rather than the absolute numbers."]
    markdown = "\n".join(lines) + "\n"
    (out / "serve.md").write_text(markdown)
    return markdown


def main(argv=None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench/serve.py: needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 1
    sys.path.insert(0, str(REPO_ROOT))
    from digit_classifier.config import default_model_path

    model = (args.model or default_model_path()).resolve()
    if not model.is_file():
        print(f"bench/serve.py: no model at {model}; train one (digit-classifier train --profile quick) "
              "or pass --model", file=sys.stderr)
        return 1
    express = load_express()
    png = SAMPLE_PNG.read_bytes()
    files = express.make_shared_dir("dc-bench-")
    try:
        shutil.copyfile(model, files / "model.pkl")
        (files / "model.pkl").chmod(0o644)
        express.write_secret_key(files / "secret_key", secrets.token_hex(32))
        body, content_type = multipart_body(png)
        (files / "body.bin").write_bytes(body)
        (files / "content_type.txt").write_text(content_type)
        (files / "post.lua").write_text(WRK_LUA)
        env = {"DIGIT_CLASSIFIER_MODEL": str(files / "model.pkl"),
               "DIGIT_CLASSIFIER_SECRET_KEY_FILE": str(files / "secret_key"),
               "DIGIT_CLASSIFIER_INSTANCE_PATH": str(files / "instance"),
               "DIGIT_CLASSIFIER_LOG_LEVEL": "WARNING"}
        common = {"processes": args.processes, "threads": args.threads}
        servers = {"minimal": express.ExpressServer(script=REPO_ROOT / "bench" / "minimal_app.py", **common),
                   "app": express.ExpressServer(script=REPO_ROOT / "wsgi.py", env=env, **common),
                   "forward_only": express.ExpressServer(script=REPO_ROOT / "bench" / "forward_only_app.py",
                                                         env=env, **common)}
        try:
            for server in servers.values():
                server.start(timeout=90)
            for name, server in servers.items():
                check_answer(server.url + "/api/v1/predict", png, expect_digit=name != "minimal")
            loadavg = os.getloadavg()
            runs = {name: [] for name in servers}
            for name, server in servers.items():
                run_wrk(server.url + "/api/v1/predict", files, args.warmup, args.connections, args.wrk_threads)
            for round_no in range(args.rounds):
                names = list(servers)
                for name in names[round_no % len(names):] + names[:round_no % len(names)]:
                    result = run_wrk(servers[name].url + "/api/v1/predict", files, args.duration,
                                     args.connections, args.wrk_threads)
                    runs[name].append(result)
                    print(f"round {round_no + 1} {name:8s} {result['rps']:8.1f} req/s  "
                          f"p50 {result['p50_ms']:.1f} ms  p99 {result['p99_ms']:.1f} ms", file=sys.stderr)
        finally:
            for server in servers.values():
                server.stop()
    finally:
        shutil.rmtree(files, ignore_errors=True)
    endpoints = {name: combine(r) for name, r in runs.items()}
    ratio = endpoints["app"]["rps"] / endpoints["minimal"]["rps"]
    results = {
        "benchmark": "serve", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {"processes": args.processes, "threads": args.threads, "connections": args.connections,
                   "wrk_threads": args.wrk_threads, "duration_s": args.duration, "rounds": args.rounds,
                   "warmup_s": args.warmup, "image_bytes": len(png), "model": model.name},
        "machine": {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in loadavg],
                    "python": platform.python_version(), "platform": platform.platform()},
        "endpoints": endpoints, "ratio": round(ratio, 3), "target_ratio": TARGET_RATIO,
        "ratio_forward_only": round(endpoints["forward_only"]["rps"] / endpoints["minimal"]["rps"], 3),
        "passed": ratio >= TARGET_RATIO,
    }
    print(write_results(results, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
