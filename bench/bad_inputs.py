"""Benchmark: the bad-request corpus (tests/support/corpus.py) against live servers.

Runs every request of the corpus against ``digit-classifier serve`` (the dev server) and,
unless ``--no-apache``, wsgi.py under Apache + mod_wsgi-express, and counts 5xx answers
and API errors not in our ``{"error": {...}}`` JSON shape. Target: 0 of each.

Usage::

    python bench/bad_inputs.py [--model FILE] [--no-apache] [--out bench/results]

Writes bench/results/bad_inputs.json and bad_inputs.md and prints the markdown.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))  # bench/ is a folder of scripts, not a package

import live  # noqa: E402
from tests.support import corpus  # noqa: E402


def run_corpus(url: str) -> dict:
    """Send every corpus case to ``url``; returns counts by status, problems and time."""
    statuses: collections.Counter = collections.Counter()
    problems, started = [], time.monotonic()
    for case in corpus.all_cases():
        try:
            status, ctype, body = live.send(url, case.method, case.path, case.body, case.headers)
        except (OSError, ValueError) as exc:  # the server closed the connection: not an answer
            status, ctype, body = 0, "", str(exc).encode()
        statuses[status] += 1
        found = corpus.problems(case, status, ctype, body) if status else [f"no answer: {body[:80]!r}"]
        if found:
            problems.append({"case": case.name, "status": status, "problems": found})
    return {"requests": sum(statuses.values()), "by_status": dict(sorted(statuses.items())),
            "server_errors": sum(n for s, n in statuses.items() if s >= 500 or s == 0),
            "problems": problems, "seconds": round(time.monotonic() - started, 1)}


def markdown(results: dict) -> str:
    lines = ["# Bad-input corpus against live servers", "",
             f"{results['cases']} generated bad requests (tests/support/corpus.py): malformed and truncated "
             "files of every allowed format, lying headers, bombs, refused formats, deep/huge JSON, bad "
             "base64, wrong methods, paths and content types, multipart oddities.", "",
             "| server | requests | 5xx or no answer | answers with problems | statuses | seconds |",
             "|---|---:|---:|---:|---|---:|"]
    for name, r in results["servers"].items():
        statuses = ", ".join(f"{s}: {n}" for s, n in r["by_status"].items())
        lines.append(f"| {name} | {r['requests']} | {r['server_errors']} | {len(r['problems'])} | "
                     f"{statuses} | {r['seconds']} |")
    for name, r in results["servers"].items():
        for p in r["problems"][:20]:
            lines.append(f"- {name}: `{p['case']}` -> {p['status']}: {'; '.join(p['problems'])}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-apache", action="store_true", help="only the dev server")
    live.add_common_args(parser)
    args = parser.parse_args(argv)
    model = live.model_path(args)
    servers = {}
    with live.dev_server(model) as url:
        servers["dev server (digit-classifier serve)"] = run_corpus(url)
    if not args.no_apache:
        with live.apache_server(model) as server:
            servers["Apache + mod_wsgi-express (2 x 4)"] = run_corpus(server.url)
    results = {"benchmark": "bad_inputs", "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "cases": len(corpus.all_cases()), "servers": servers,
               "passed": all(r["server_errors"] == 0 and not r["problems"] for r in servers.values())}
    live.write_results(args.out, "bad_inputs", results, markdown(results))
    return 0 if results["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
