"""A cluster of build_cluster_local.sh from Python: build, tear down, HAProxy's runtime API, leftovers.

Shared by tests/deploy/test_cluster.py and bench/cluster.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "deployment_scripts"


class Cluster:
    """One cluster: its names, /24, port and DC_* settings; scripts run with them from /."""

    def __init__(self, app: str, name: str, net: str, port: int, backends: int = 3):
        self.app, self.name, self.net, self.port, self.backends = app, name, net, port, backends
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DC_APP_NAME": self.app, "DC_INSTALL_DIR": f"/opt/{self.app}",
                    "DC_CLUSTER_NAME": self.name, "DC_CLUSTER_NET": self.net,
                    "DC_PROCESSES": "1", "DC_THREADS": "4"}
        self.run_dir = Path(f"/run/{self.app}-{self.name}")
        self.paths = [Path(f"/opt/{self.app}"), Path(f"/etc/{self.app}"), Path(f"/etc/{self.app}-{self.name}"),
                      self.run_dir, Path(f"/var/log/{self.app}-{self.name}"), Path(f"/var/lib/{self.app}")]

    def _script(self, script: str, *args: str, timeout: float) -> subprocess.CompletedProcess:
        """Run a deployment script from an unrelated cwd (/), as the docs tell users to."""
        return subprocess.run(["bash", str(SCRIPTS_DIR / script), *args], env=self.env, cwd="/",
                              capture_output=True, text=True, timeout=timeout)

    def build(self, *args: str) -> subprocess.CompletedProcess:
        """build_cluster_local.sh with this cluster's settings and ``args``."""
        return self._script("build_cluster_local.sh", "--backends", str(self.backends), "--port", str(self.port),
                            *args, timeout=1200)

    def cleanup(self, *args: str) -> subprocess.CompletedProcess:
        """cleanup.sh --cluster with this cluster's settings and ``args``."""
        return self._script("cleanup.sh", "--cluster", *args, timeout=600)

    def namespace(self, backend: str) -> str:
        return f"{self.name}-{backend}"

    def address(self, backend: str) -> str:
        return f"{self.net}.{10 + int(backend[1:])}"

    def api(self, command: str) -> str:
        """One command to HAProxy's runtime API (its admin socket) -> the answer's text."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(self.run_dir / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            return sock.makefile().read()

    def set_state(self, backend: str, state: str) -> None:
        """``set server``: ready, drain or maint."""
        self.api(f"set server {self.name}_apps/{backend} state {state}")

    def server_status(self, backend: str) -> str:
        """The backend's status in HAProxy (UP, DOWN, MAINT, ...) from the runtime API's ``show stat``."""
        text = self.api("show stat")
        for line in text.splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == f"{self.name}_apps" and fields[1] == backend:
                return fields[17]
        raise AssertionError(f"{backend} is not in HAProxy's show stat:\n{text}")

    def namespaces_left(self) -> list[str]:
        out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        return [line.split()[0] for line in out.splitlines() if line.startswith(f"{self.name}-")]

    def links_left(self) -> list[str]:
        out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
        names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()]
        return [n for n in names if n.startswith(self.name)]

    def force_remove(self) -> None:
        """Last resort after a failed cleanup: end the processes in our namespaces, delete them and our links."""
        for ns in self.namespaces_left():
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            if pids:
                subprocess.run(["kill", "-9", *pids], check=False)
            subprocess.run(["ip", "netns", "delete", ns], check=False)
        for link in self.links_left():
            subprocess.run(["ip", "link", "delete", link], check=False)
