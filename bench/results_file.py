"""Append one benchmark run to bench/results/<name>.json ("runs" and "latest") and <name>.md."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def append_run(name: str, run_: dict, markdown: str, title: str = "") -> None:
    """Add ``run_`` to ``<name>.json`` (kept in "runs", and as "latest") and ``markdown`` to
    ``<name>.md``; ``title`` heads a new Markdown file."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = json.loads(path.read_text()) if path.exists() else {"runs": []}
    doc["runs"].append(run_)
    doc["latest"] = run_
    path.write_text(json.dumps(doc, indent=1) + "\n")
    md = RESULTS / f"{name}.md"
    head = f"{title}\n\n" if title and not md.exists() else ""
    with md.open("a") as handle:
        handle.write(head + markdown + "\n")
