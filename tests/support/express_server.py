"""Start and stop a real Apache + mod_wsgi (PyPI ``mod_wsgi-express``) for tests and benchmarks.

The server runs in daemon mode like the deployed site (processes x threads,
``--user www-data`` when started as root), listens on 127.0.0.1 only, keeps
its configuration and logs in a server root of its own, and is stopped by the
PID in its pid file. It never touches the system Apache in /etc/apache2.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: The account the daemon processes run as when started by root (as on Debian).
APACHE_USER = "www-data"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_shared_dir(prefix: str) -> Path:
    """Create a fresh directory under /tmp that the Apache user can read (0755, not 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def write_secret_key(path: Path, key: str) -> None:
    """Write ``key`` to ``path`` readable by root and the Apache group only (0640), as deployed."""
    path.write_text(key + "\n", encoding="utf-8")
    path.chmod(0o640)
    if os.geteuid() == 0:
        shutil.chown(path, user="root", group=APACHE_USER)


def _process_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (apachectl's daemon is not our child)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


@dataclass
class ExpressServer:
    """One Apache instance serving ``script`` (a WSGI file defining ``application``).

    ``env`` becomes the daemon processes' environment (via mod_wsgi-express's
    envvars script, so ``os.environ`` sees it when the app is built).
    """

    script: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0                       # 0: pick a free one
    processes: int = 2
    threads: int = 4
    limit_request_body: int = 4 * 1024 * 1024   # bytes; Apache's HTML 413 above it
    root: Path | None = None            # server root; None: a fresh 0755 dir under /tmp
    extra_args: list[str] = field(default_factory=list)
    _pid: int | None = field(default=None, init=False, repr=False)
    _own_root: bool = field(default=False, init=False, repr=False)

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def error_log(self) -> Path:
        return self.root / "error_log"

    def setup_args(self) -> list[str]:
        """The ``mod_wsgi-express setup-server`` command line."""
        express = Path(sys.executable).with_name("mod_wsgi-express")
        args = [str(express), "setup-server", str(self.script),
                "--server-root", str(self.root), "--log-directory", str(self.root),
                "--host", "127.0.0.1", "--port", str(self.port),
                "--processes", str(self.processes), "--threads", str(self.threads),
                "--locale", "C.UTF-8", "--limit-request-body", str(self.limit_request_body),
                "--envvars-script", str(self.root / "app-envvars.sh"),
                "--access-log", "--startup-timeout", "30"]
        if os.geteuid() == 0:
            args += ["--user", APACHE_USER, "--group", APACHE_USER]
        return args + self.extra_args

    def start(self, health_path: str = "/healthz", timeout: float = 60.0,
              expect_status: int = 200) -> "ExpressServer":
        """Configure, start, and wait until ``health_path`` answers ``expect_status``.

        Raises RuntimeError (with the error log's tail) when it does not within ``timeout`` s.
        """
        if self.root is None:
            self.root = make_shared_dir("dc-apache-")
            self._own_root = True
        if not self.port:
            self.port = free_port()
        envvars = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in self.env.items())
        (self.root / "app-envvars.sh").write_text(envvars, encoding="utf-8")
        subprocess.run(self.setup_args(), check=True, capture_output=True, text=True)
        subprocess.run([str(self.root / "apachectl"), "start"], check=True, capture_output=True, text=True)
        self._pid = self._read_pid(timeout=15.0)
        try:
            self.wait_for(health_path, timeout, expect_status)
        except RuntimeError:
            self.stop()
            raise
        return self

    def _read_pid(self, timeout: float) -> int:
        pid_file = self.root / "httpd.pid"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = pid_file.read_text().strip() if pid_file.exists() else ""
            if text.isdigit():
                return int(text)
            time.sleep(0.1)
        raise RuntimeError(f"Apache wrote no pid file {pid_file} within {timeout} s:\n{self.log_tail()}")

    def wait_for(self, path: str, timeout: float, status: int = 200) -> None:
        """Poll ``GET path`` until it answers ``status``; RuntimeError with the log tail after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:
                    if response.status == status:
                        return
                    last = f"HTTP {response.status}"
            except urllib.error.HTTPError as error:
                if error.code == status:
                    return
                last = f"HTTP {error.code}"
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                last = str(error)
            time.sleep(0.25)
        raise RuntimeError(f"{self.url}{path} not ready after {timeout} s ({last}):\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the error log (empty when there is none yet)."""
        if self.root is None or not self.error_log.exists():
            return ""
        return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        """Stop Apache by its PID (TERM, then KILL after ``timeout`` s) and remove an own server root."""
        if self._pid is not None and _process_alive(self._pid):
            os.kill(self._pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _process_alive(self._pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _process_alive(self._pid):
                os.kill(self._pid, signal.SIGKILL)
        self._pid = None
        if self._own_root and self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "ExpressServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
