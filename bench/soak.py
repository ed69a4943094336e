"""Benchmark: a soak under Apache + mod_wsgi at ~80 % of measured capacity.

Starts wsgi.py under mod_wsgi-express (daemon mode, 2 processes x 4 threads, as
deployed), measures capacity (16 back-to-back clients), then sends the sample digit
PNG at ``--load`` x capacity for ``--minutes`` from a Python open-loop generator, and
reports per window: requests, errors (5xx or no answer), latency percentiles and the
daemons' RSS. Targets: 0 errors, daemon RSS growth under 10 % (last window against
the first, after warm-up).

Usage::

    python bench/soak.py [--minutes 1] [--load 0.8] [--windows 10] [--model FILE]

The real run is ``--minutes 10``. Writes bench/results/soak.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench/ is a folder of scripts, not a package

import live  # noqa: E402
import load  # noqa: E402

SAMPLE_PNG = live.REPO_ROOT / "deployment_scripts" / "sample_digit_7.png"


def soak(server, rate: float, seconds: float, windows: int) -> list[dict]:
    """Open-loop load in ``windows`` equal windows; one dict of figures per window."""
    body, ctype = SAMPLE_PNG.read_bytes(), "image/png"
    out = []
    for w in range(windows):
        records = load.open_loop(server.url, body, ctype, rate, seconds / windows)
        pids = live.daemon_pids(server)
        rss = [round(live.rss_mb(p), 1) for p in pids]
        errors = sum(1 for r in records if r.status != 200)
        out.append({"window": w + 1, "end_s": round((w + 1) * seconds / windows, 1), "requests": len(records),
                    "errors": errors, **load.percentiles([r.latency for r in records]),
                    "daemon_pids": pids, "daemon_rss_mb": rss, "daemon_rss_total_mb": round(sum(rss), 1)})
        print(json.dumps(out[-1]), file=sys.stderr)
    return out


def markdown(results: dict) -> str:
    lines = ["# Soak under Apache + mod_wsgi", "",
             f"mod_wsgi-express, daemon mode, 2 processes x 4 threads, 127.0.0.1; capacity "
             f"{results['capacity_rps']} req/s (16 back-to-back clients, sample digit PNG); load "
             f"{results['rate_rps']} req/s ({100 * results['load']:.0f} %) for {results['minutes']} min from a Python "
             f"open-loop generator on the same {results['cpus']}-CPU machine (latency from the scheduled send time).", "",
             "| window end s | requests | errors | p50 ms | p90 ms | p99 ms | max ms | daemon RSS MB |",
             "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for w in results["windows"]:
        lines.append(f"| {w['end_s']} | {w['requests']} | {w['errors']} | {w['p50_ms']} | {w['p90_ms']} | "
                     f"{w['p99_ms']} | {w['max_ms']} | {' + '.join(map(str, w['daemon_rss_mb']))} |")
    lines += ["", f"Errors: **{results['errors']}** of {results['requests']}. Daemon RSS growth (last window "
                  f"against the first): **{results['rss_growth_pct']:+.1f} %**."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="soak duration (default 1; real run 10)")
    parser.add_argument("--load", type=float, default=0.8, help="fraction of measured capacity (default 0.8)")
    parser.add_argument("--windows", type=int, default=10, help="report windows (default 10)")
    parser.add_argument("--capacity-seconds", type=float, default=10.0)
    live.add_common_args(parser)
    args = parser.parse_args(argv)
    model = live.model_path(args)
    with live.apache_server(model) as server:
        cap = load.capacity(server.url, SAMPLE_PNG.read_bytes(), "image/png", args.capacity_seconds)
        rate = round(args.load * cap, 1)
        windows = soak(server, rate, 60 * args.minutes, args.windows)
    first, last = windows[0]["daemon_rss_total_mb"], windows[-1]["daemon_rss_total_mb"]
    results = {"benchmark": "soak", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "minutes": args.minutes, "load": args.load, "capacity_rps": round(cap, 1), "rate_rps": rate,
               "cpus": os.cpu_count(), "loadavg_after": [round(x, 2) for x in os.getloadavg()],
               "windows": windows, "requests": sum(w["requests"] for w in windows),
               "errors": sum(w["errors"] for w in windows),
               "rss_growth_pct": round(100 * (last - first) / first, 1) if first else None}
    results["passed"] = results["errors"] == 0 and (results["rss_growth_pct"] or 0) < 10
    live.write_results(args.out, "soak", results, markdown(results))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
