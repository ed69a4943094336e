"""A small Python load generator for the benches: closed-loop capacity and open-loop fixed rate.

Every request is a new connection (so a killed daemon shows as failed requests, not as a
stuck keep-alive). Latency in the open loop is measured from the *scheduled* send time,
so a server that falls behind shows it (no coordinated omission).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import live


@dataclass(frozen=True)
class Record:
    """One request: scheduled time (s from start), latency (s), HTTP status (0: no answer)."""

    at: float
    latency: float
    status: int


def _one(url: str, body: bytes, ctype: str) -> int:
    try:
        status, _, _ = live.send(url, "POST", "/api/v1/predict", body, {"Content-Type": ctype}, timeout=30)
        return status
    except (OSError, ValueError):
        return 0


def capacity(url: str, body: bytes, ctype: str, seconds: float, concurrency: int = 16) -> float:
    """Requests per second ``concurrency`` back-to-back clients get through in ``seconds``."""
    done = []
    stop = time.monotonic() + seconds

    def client():
        while time.monotonic() < stop:
            if _one(url, body, ctype) == 200:
                done.append(1)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(done) / (time.monotonic() - started)


def open_loop(url: str, body: bytes, ctype: str, rate: float, seconds: float, workers: int = 48,
              events: dict | None = None) -> list[Record]:
    """Send at ``rate`` requests/s for ``seconds``; returns one Record per request.

    ``events`` maps a time (s from start) to a callable run then (e.g. a kill -9).
    """
    records: list[Record] = []
    lock = threading.Lock()
    next_index = [0]
    total = int(rate * seconds)
    start = time.monotonic() + 0.2

    def worker():
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= total:
                return
            at = i / rate
            delay = start + at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status = _one(url, body, ctype)
            with lock:
                records.append(Record(at, time.monotonic() - (start + at), status))

    def scheduler():
        for when, action in sorted((events or {}).items()):
            delay = start + when - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            action()

    threads = [threading.Thread(target=worker) for _ in range(workers)] + [threading.Thread(target=scheduler)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(records, key=lambda r: r.at)


def percentiles(latencies: list[float]) -> dict:
    """p50/p90/p99/max in ms of ``latencies`` (seconds)."""
    if not latencies:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    xs = sorted(latencies)
    pick = lambda q: round(1000 * xs[min(len(xs) - 1, int(q * len(xs)))], 1)  # noqa: E731
    return {"p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99), "max_ms": round(1000 * xs[-1], 1)}
