"""A local HTTP mirror for the download tests: a threaded server on 127.0.0.1 answering from a route table."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class MirrorServer:
    """A threaded HTTP server on 127.0.0.1 answering from ``routes``.

    ``routes`` maps a URL path to bytes (200), an int (that HTTP status), the
    string "hang" (answer nothing until the test ends) or ``("cut", body)`` (send
    part of a longer promised body, then close). ``requests`` logs each path.
    """

    base: str
    routes: dict[str, bytes | int | str | tuple] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def url(self, prefix: str) -> str:
        """The mirror base URL for files served under ``/<prefix>/``."""
        return f"{self.base}/{prefix}/"

    def serve(self, prefix: str, files: dict[str, bytes]) -> None:
        """Serve ``files`` (file name -> body) under ``/<prefix>/``."""
        for name, body in files.items():
            self.routes[f"/{prefix}/{name}"] = body


def _handler_for(server: MirrorServer):
    """Build a request handler class bound to ``server``'s routes and log."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server dispatches to)
            server.requests.append(self.path)
            answer = server.routes.get(self.path, 404)
            if answer == "hang":
                server.release.wait(timeout=30)
                return
            if isinstance(answer, tuple):  # ("cut", body): promise more than is sent, then hang up
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer[1]) + 1000))
                self.end_headers()
                self.wfile.write(answer[1])
                self.close_connection = True
                return
            if isinstance(answer, int):
                self.send_error(answer)
                return
            self.send_response(200)
            # Directory-style paths are index pages (pip ignores pages that are not text/html).
            self.send_header("Content-Type", "text/html" if self.path.endswith("/")
                             else "application/octet-stream")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format, *args):  # keep test output quiet
            pass

    return Handler


def start_mirror() -> tuple[MirrorServer, Callable[[], None]]:
    """Start a mirror on 127.0.0.1 (port chosen by the OS) -> (its state, a function that stops it)."""
    state = MirrorServer(base="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

    return state, stop


def refused_mirror_url() -> str:
    """A mirror URL on a 127.0.0.1 port where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"
