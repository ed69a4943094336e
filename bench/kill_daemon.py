"""Benchmark: ``kill -9`` of one mod_wsgi daemon process under load.

Starts wsgi.py under mod_wsgi-express (daemon mode, 2 processes x 4 threads), measures
capacity, sends the sample digit at ``--load`` x capacity for ``--seconds`` and kills one
daemon process with SIGKILL at a third of the run. Reports the share of failed requests
(5xx or no answer), when the last failure was scheduled after the kill, and when a new
daemon process replaced the killed one. Targets: under 0.5 % failed, service back
within 5 s.

Usage::

    python bench/kill_daemon.py [--seconds 30] [--load 0.8] [--kills 1] [--model FILE]

Writes bench/results/kill_daemon.{json,md}.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # bench/ is a folder of scripts, not a package

import live  # noqa: E402
import load  # noqa: E402

SAMPLE_PNG = live.REPO_ROOT / "deployment_scripts" / "sample_digit_7.png"


def _killer(server, log: list[dict], t0: list[float]):
    """An event: SIGKILL the first daemon, then watch (in a thread) for its replacement."""
    def kill():
        before = live.daemon_pids(server)
        victim = before[0]
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        entry = {"at_s": round(killed_at - t0[0], 2), "pid": victim, "daemons_before": before}
        log.append(entry)

        def watch():
            while time.monotonic() - killed_at < 60:
                now = live.daemon_pids(server)
                if victim not in now and len(now) >= len(before):
                    entry["replaced_after_s"] = round(time.monotonic() - killed_at, 2)
                    entry["daemons_after"] = now
                    return
                time.sleep(0.05)
        threading.Thread(target=watch, daemon=True).start()
    return kill


def run(server, rate: float, seconds: float, kills: int) -> dict:
    body = SAMPLE_PNG.read_bytes()
    log: list[dict] = []
    t0 = [0.0]
    events = {seconds * (k + 1) / (kills + 2): _killer(server, log, t0) for k in range(kills)}
    t0[0] = time.monotonic() + 0.2   # the generator's start (open_loop starts 0.2 s after its call)
    records = load.open_loop(server.url, body, "image/png", rate, seconds, events=events)
    time.sleep(1.0)  # let the watcher finish
    failed = [r for r in records if r.status != 200]
    for entry in log:
        after = [r for r in failed if r.at >= entry["at_s"] - 1.0]
        entry["last_failure_after_kill_s"] = round(max(r.at for r in after) - entry["at_s"], 2) if after else 0.0
        window = [r for r in records if entry["at_s"] <= r.at < entry["at_s"] + 5]
        entry["latency_5s_after_kill"] = load.percentiles([r.latency for r in window])
    return {"requests": len(records), "failed": len(failed),
            "failed_pct": round(100 * len(failed) / max(1, len(records)), 3),
            "failed_statuses": sorted({r.status for r in failed}),
            "latency_all": load.percentiles([r.latency for r in records]), "kills": log}


def markdown(results: dict) -> str:
    r = results["run"]
    lines = ["# kill -9 of one mod_wsgi daemon under load", "",
             f"mod_wsgi-express, daemon mode, 2 processes x 4 threads; capacity {results['capacity_rps']} req/s; "
             f"load {results['rate_rps']} req/s ({100 * results['load']:.0f} %) for {results['seconds']} s; "
             f"{len(r['kills'])} daemon(s) killed with SIGKILL.", "",
             f"Failed requests (5xx or no answer): **{r['failed']} of {r['requests']} = {r['failed_pct']} %** "
             f"(statuses {r['failed_statuses'] or 'none'}).", "",
             "| kill at s | pid | last failure after kill s | new daemon after s | p99 ms in the next 5 s |",
             "|---:|---:|---:|---:|---:|"]
    for k in r["kills"]:
        lines.append(f"| {k['at_s']} | {k['pid']} | {k['last_failure_after_kill_s']} | "
                     f"{k.get('replaced_after_s', 'not within 60 s')} | {k['latency_5s_after_kill']['p99_ms']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="duration of the load (default 30)")
    parser.add_argument("--load", type=float, default=0.8, help="fraction of measured capacity (default 0.8)")
    parser.add_argument("--kills", type=int, default=1, help="daemons killed, spread over the run (default 1)")
    live.add_common_args(parser)
    args = parser.parse_args(argv)
    model = live.model_path(args)
    with live.apache_server(model) as server:
        cap = load.capacity(server.url, SAMPLE_PNG.read_bytes(), "image/png", 5.0)
        rate = round(args.load * cap, 1)
        outcome = run(server, rate, args.seconds, args.kills)
    results = {"benchmark": "kill_daemon", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "seconds": args.seconds, "load": args.load, "capacity_rps": round(cap, 1), "rate_rps": rate,
               "run": outcome}
    results["passed"] = outcome["failed_pct"] < 0.5 and all(
        k.get("replaced_after_s", 99) <= 5 and k["last_failure_after_kill_s"] <= 5 for k in outcome["kills"])
    live.write_results(args.out, "kill_daemon", results, markdown(results))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
