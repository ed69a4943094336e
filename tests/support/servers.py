"""Live servers for tests: a Flask app served by a real threaded werkzeug server on 127.0.0.1."""

import threading
from contextlib import contextmanager
from typing import Iterator

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """A request handler that logs no line per request."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@contextmanager
def serve_in_thread(app, quiet: bool = False) -> Iterator[str]:
    """A real threaded werkzeug server for ``app`` on 127.0.0.1 at a free port; yields its base URL.
    ``quiet``: no log line per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         request_handler=QuietHandler if quiet else WSGIRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
