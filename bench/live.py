"""Live servers for the reliability benches: the dev server and an Apache + mod_wsgi-express,
plus raw HTTP requests and daemon-process figures (RSS) read from /proc.

Servers listen on 127.0.0.1 on a free port and are stopped by their PID; the system
Apache is never touched.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
UPLOAD_LIMIT = 10 * 2**20   # bytes; the 10 MiB upload limit the cost budget assumes


def load_express():
    """The mod_wsgi-express helper the tests use (tests/support/express_server.py)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.support import express_server

    return express_server


def wait_ready(url: str, timeout: float = 60.0) -> None:
    """Poll ``url`` + /healthz until it answers 200; RuntimeError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url}/healthz did not answer 200 within {timeout} s")


@contextmanager
def dev_server(model: Path) -> Iterator[str]:
    """``digit-classifier serve`` (Flask's threaded dev server) on a free port; yields its URL."""
    port = load_express().free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "DIGIT_CLASSIFIER_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
           "DIGIT_CLASSIFIER_LOG_LEVEL": "ERROR"}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from digit_classifier.cli import main; sys.exit(main())",
                             "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--model", str(model)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def apache_server(model: Path, processes: int = 2, threads: int = 4) -> Iterator[object]:
    """wsgi.py under mod_wsgi-express (daemon mode, as deployed); yields the ExpressServer."""
    express = load_express()
    files = express.make_shared_dir("dc-reliab-")
    try:
        shutil.copyfile(model, files / "model.pkl")
        (files / "model.pkl").chmod(0o644)
        express.write_secret_key(files / "secret_key", secrets.token_hex(32))
        env = {"DIGIT_CLASSIFIER_MODEL": str(files / "model.pkl"),
               "DIGIT_CLASSIFIER_SECRET_KEY_FILE": str(files / "secret_key"),
               "DIGIT_CLASSIFIER_INSTANCE_PATH": str(files / "instance"),
               "DIGIT_CLASSIFIER_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
               "DIGIT_CLASSIFIER_LOG_LEVEL": "ERROR"}
        server = express.ExpressServer(script=REPO_ROOT / "wsgi.py", env=env, processes=processes,
                                       threads=threads, limit_request_body=UPLOAD_LIMIT + 2**20)
        server.start(timeout=90)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(files, ignore_errors=True)


def send(url: str, method: str, path: str, body: bytes = b"", headers: dict | None = None,
         timeout: float = 60.0) -> tuple[int, str, bytes]:
    """One raw request (the path is sent exactly as given); returns (status, content type, body)."""
    host, port = url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        conn.close()


def daemon_pids(server) -> list[int]:
    """PIDs of the mod_wsgi daemon processes of ``server`` (children of its httpd named ``(wsgi:...``)."""
    parent = int((server.root / "httpd.pid").read_text().strip())
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and cmdline.startswith(b"(wsgi:"):  # mod_wsgi names its daemons so
            pids.append(int(entry.name))
    return sorted(pids)


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def add_common_args(parser) -> None:
    """``--model`` and ``--out``, which every reliability bench takes."""
    parser.add_argument("--model", type=Path, default=None,
                        help="model file (default: $DIGIT_CLASSIFIER_MODEL or the configured one)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder (default bench/results)")


def model_path(args) -> Path:
    """``args.model``, else $DIGIT_CLASSIFIER_MODEL, else the package's default model path."""
    if args.model:
        return args.model.resolve()
    sys.path.insert(0, str(REPO_ROOT))
    from digit_classifier.config import default_model_path

    return Path(os.environ.get("DIGIT_CLASSIFIER_MODEL") or default_model_path()).resolve()


def write_results(out: Path, name: str, results: dict, markdown: str) -> None:
    """Write ``out/name.json`` and ``out/name.md`` and print the markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / f"{name}.md").write_text(markdown)
    print(markdown)
