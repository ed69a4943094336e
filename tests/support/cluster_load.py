"""Bounded load through a balancer: threads POST real digits and keep every answer with the backend that served it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests


@dataclass(frozen=True)
class Answer:
    """One request: start (s since the load began), latency (s), HTTP status (0: no answer),
    the ``X-Served-By`` header ("" without one), the predicted digit (None on failure) and the true label."""

    at: float
    latency: float
    status: int
    served_by: str
    digit: int | None
    label: int


class Load:
    """``threads`` clients sending ``digits`` (``[(png_bytes, label)]``) to ``url``/api/v1/predict
    back to back, until ``stop()`` or ``max_seconds`` (a hard bound: the load always ends by itself)."""

    def __init__(self, url: str, digits: list[tuple[bytes, int]], threads: int = 4, max_seconds: float = 120.0):
        self.url, self.digits, self.max_seconds = url, digits, max_seconds
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(threads)]
        self._t0 = 0.0

    def _one(self, session: requests.Session, body: bytes, label: int) -> Answer:
        at = time.monotonic() - self._t0
        try:
            response = session.post(self.url + "/api/v1/predict", files={"image": ("d.png", body, "image/png")},
                                    timeout=30)
            status, served = response.status_code, response.headers.get("X-Served-By", "")
            digit = response.json().get("digit") if status == 200 else None
        except (requests.RequestException, ValueError):
            status, served, digit = 0, "", None
        return Answer(at, time.monotonic() - self._t0 - at, status, served, digit, label)

    def _client(self, n: int) -> None:
        deadline = self._t0 + self.max_seconds
        with requests.Session() as session:
            i = n
            while not self._stop.is_set() and time.monotonic() < deadline:
                body, label = self.digits[i % len(self.digits)]
                answer = self._one(session, body, label)
                with self._lock:
                    self.answers.append(answer)
                i += len(self._threads)

    def start(self) -> "Load":
        self._t0 = time.monotonic()
        for thread in self._threads:
            thread.start()
        return self

    def elapsed(self) -> float:
        """Seconds since ``start()``."""
        return time.monotonic() - self._t0

    def stop(self) -> list[Answer]:
        """Stop the clients (each finishes its request in flight) and return every answer, in order."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        with self._lock:
            return sorted(self.answers, key=lambda a: a.at)


def failed(answers: list[Answer]) -> list[Answer]:
    """The answers that were not HTTP 200."""
    return [a for a in answers if a.status != 200]
