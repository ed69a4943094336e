"""Benchmark: property-based fuzzing of the live API for a set time: Hypothesis and schemathesis.

Half the time runs the Hypothesis strategies of tests/support/fuzz.py (mutated images,
random JSON, multipart, methods and paths) against the server; the other half runs
schemathesis (PyPI) driven by our /api/v1/openapi.json, positive and negative data, with
its ``not_a_server_error`` check. Target: 0 answers of 5xx (and every API error in our
JSON shape, for the Hypothesis half).

Usage::

    python bench/fuzz_api.py [--minutes 1] [--apache] [--model FILE] [--out bench/results]

The real run is ``--minutes 10``; the default is a short one. Writes
bench/results/fuzz_api.{json,md}.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))  # bench/ is a folder of scripts, not a package

import live  # noqa: E402


def hypothesis_phase(url: str, seconds: float) -> dict:
    """Run the Hypothesis strategies against ``url`` in rounds of 200 examples until ``seconds`` pass."""
    from hypothesis import HealthCheck, given, settings

    from tests.support import corpus
    from tests.support.fuzz import api_case

    statuses: collections.Counter = collections.Counter()
    problems: list[dict] = []

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=api_case())
    def one(case):
        try:
            status, ctype, body = live.send(url, case.method, case.path, case.body, case.headers, timeout=30)
        except (OSError, ValueError) as exc:
            status, ctype, body = 0, "", str(exc).encode()
        statuses[status] += 1
        found = corpus.problems(case, status, ctype, b"" if case.method == "HEAD" else body)
        found = [p for p in found if case.method != "HEAD" or p.startswith("status")]
        if status == 0:
            found.append("no answer")
        if found and len(problems) < 50:
            problems.append({"method": case.method, "path": case.path, "status": status, "problems": found,
                             "body_head": case.body[:64].hex()})

    started = time.monotonic()
    rounds = 0
    while time.monotonic() - started < seconds:
        one()
        rounds += 1
    return {"seconds": round(time.monotonic() - started, 1), "rounds": rounds,
            "requests": sum(statuses.values()), "by_status": dict(sorted(statuses.items())),
            "server_errors": sum(n for s, n in statuses.items() if s >= 500 or s == 0), "problems": problems}


def schemathesis_phase(url: str, seconds: float, folder: Path) -> dict:
    """Run schemathesis against ``url`` for ``seconds``; parse its summary."""
    exe = Path(sys.executable).with_name("schemathesis")
    if not exe.exists() and shutil.which("schemathesis") is None:
        return {"error": "schemathesis is not installed (pip install -r tests/requirements.txt)"}
    cmd = [str(exe if exe.exists() else "schemathesis"), "run", f"{url}/api/v1/openapi.json", "--url", url,
           "--checks", "not_a_server_error", "--mode", "all", "--max-time", str(int(seconds)),
           "--max-examples", "100000", "--workers", "2", "--no-color",
           "--report", "ndjson", "--report-dir", str(folder)]
    started = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 600, cwd=folder)
    text = out.stdout + out.stderr
    statuses: collections.Counter = collections.Counter()
    for path in folder.glob("*.ndjson"):
        for line in path.read_text().splitlines():
            statuses.update(int(s) for s in re.findall(r'"status_code":\s*(\d{3})', line))
    summary = [line[:200] for line in text.splitlines()
               if re.search(r"passed|failed|error|Test cases|API Operations", line)]
    return {"seconds": round(time.monotonic() - started, 1), "exit_code": out.returncode,
            "requests": sum(statuses.values()), "by_status": dict(sorted(statuses.items())),
            "server_errors": sum(n for s, n in statuses.items() if s >= 500),
            "summary": summary[-12:], "command": " ".join(cmd[1:])}


@contextmanager
def server(model: Path, apache: bool):
    if apache:
        with live.apache_server(model) as srv:
            yield "Apache + mod_wsgi-express (2 x 4)", srv.url
    else:
        with live.dev_server(model) as url:
            yield "dev server (digit-classifier serve)", url


def markdown(results: dict) -> str:
    h, s = results["hypothesis"], results["schemathesis"]
    lines = ["# Fuzzing the live API", "",
             f"Server: {results['server']}; {results['minutes']} minutes in all, half each.", "",
             "| fuzzer | seconds | requests | 5xx | statuses |", "|---|---:|---:|---:|---|"]
    for name, r in (("Hypothesis (tests/support/fuzz.py)", h), ("schemathesis (openapi.json, not_a_server_error)", s)):
        if "error" in r:
            lines.append(f"| {name} | | | | {r['error']} |")
            continue
        statuses = ", ".join(f"{k}: {v}" for k, v in r["by_status"].items())
        lines.append(f"| {name} | {r['seconds']} | {r['requests']} | {r['server_errors']} | {statuses} |")
    for p in h.get("problems", [])[:10]:
        lines.append(f"- Hypothesis: {p['method']} {p['path']} -> {p['status']}: {'; '.join(p['problems'])[:160]}")
    if any("iso-8859-1" in "".join(p["problems"]) for p in h.get("problems", [])):
        lines += ["", "Answers in `text/html; charset=iso-8859-1` are Apache's own error pages, made before the "
                      "app runs (e.g. `%2f` in a path, a body on a method Apache refuses): JSON for those is "
                      "the deployment's `ErrorDocument` work, not the app's."]
    if s.get("summary"):
        lines += ["", "schemathesis summary (an `error` there is the tool failing to generate a case, e.g. an "
                      "exception inside schemathesis; the server's answers are the table's columns):",
                  "", "```", *s["summary"], "```"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="total fuzzing time (default 1; real run 10)")
    parser.add_argument("--apache", action="store_true", help="fuzz Apache + mod_wsgi-express, not the dev server")
    live.add_common_args(parser)
    args = parser.parse_args(argv)
    model = live.model_path(args)
    half = 30.0 * args.minutes
    import tempfile
    with tempfile.TemporaryDirectory(prefix="dc-fuzz-") as tmp, server(model, args.apache) as (name, url):
        results = {"benchmark": "fuzz_api", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                   "server": name, "minutes": args.minutes,
                   "hypothesis": hypothesis_phase(url, half),
                   "schemathesis": schemathesis_phase(url, half, Path(tmp))}
    results["passed"] = all(r.get("server_errors", 1) == 0 for r in (results["hypothesis"], results["schemathesis"]))
    live.write_results(args.out, "fuzz_api", results, markdown(results))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
