"""Fixtures for the deployment tests: a real Apache + mod_wsgi serving wsgi.py, and test digits."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.support import express_server
from tests.support.images import mnist_digit_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPTS_DIR = REPO_ROOT / "deployment_scripts"
UPLOAD_LIMIT = 10 * 1024 * 1024     # bytes; the app's own limit (JSON 413 above it), as deployed
APACHE_BODY_LIMIT = 2 * UPLOAD_LIMIT  # bytes; Apache's LimitRequestBody backstop, as deployed


@pytest.fixture(scope="session")
def express():
    """The express_server helper module."""
    return express_server


@pytest.fixture(scope="session")
def test_digits(mnist_dir) -> list[tuple[bytes, int]]:
    """20 real MNIST test digits as ``(png_bytes, label)``, every third one dark on light."""
    from digit_classifier.mnist import load_mnist

    data = load_mnist(mnist_dir)
    return [(mnist_digit_bytes(data.test_images[i], scale=3, dark_on_light=i % 3 == 0), int(data.test_labels[i]))
            for i in range(20)]


@pytest.fixture(scope="session")
def deploy_files(express, quick_model_path):
    """A 0755 folder holding a copy of the quick model (0644) and a secret key file (0640)."""
    folder = express.make_shared_dir("dc-deploy-files-")
    model = folder / "model.pkl"
    shutil.copyfile(quick_model_path, model)
    model.chmod(0o644)
    key_file = folder / "secret_key"
    express.write_secret_key(key_file, secrets.token_hex(32))
    yield {"model": model, "secret_key": key_file, "dir": folder}
    shutil.rmtree(folder, ignore_errors=True)


def app_env(model: Path, key_file: Path, instance_dir: Path) -> dict[str, str]:
    """The environment the deployed site gives the app (see deployment_scripts/site.wsgi.template)."""
    return {
        "DIGIT_CLASSIFIER_MODEL": str(model),
        "DIGIT_CLASSIFIER_SECRET_KEY_FILE": str(key_file),
        "DIGIT_CLASSIFIER_MAX_UPLOAD_BYTES": str(UPLOAD_LIMIT),
        "DIGIT_CLASSIFIER_INSTANCE_PATH": str(instance_dir),
    }


def check_apache_user_can_read(*paths: Path) -> None:
    """Fail early and clearly when www-data (the daemons' user under root) cannot read ``paths``."""
    if os.geteuid() != 0:
        return  # not root: the daemons run as the current user
    for path in paths:
        probe = subprocess.run(["setpriv", "--reuid=www-data", "--regid=www-data", "--clear-groups",
                                "test", "-r", str(path)], capture_output=True)
        if probe.returncode != 0:
            pytest.fail(f"www-data cannot read {path}: the checkout and its .venv must be in "
                        "world-readable directories (e.g. not under /root) for the Apache tests")


@pytest.fixture(scope="session")
def apache(express, deploy_files):
    """The real wsgi.py under Apache + mod_wsgi: 127.0.0.1, 2 daemon processes x 4 threads.

    Yields the running ExpressServer (``.url`` is its base URL); stopped by PID at the end.
    """
    check_apache_user_can_read(REPO_ROOT / "wsgi.py", Path(sys.prefix) / "pyvenv.cfg",
                               REPO_ROOT / "digit_classifier" / "__init__.py", deploy_files["model"])
    server = express.ExpressServer(
        script=REPO_ROOT / "wsgi.py",
        env=app_env(deploy_files["model"], deploy_files["secret_key"], deploy_files["dir"] / "instance"),
        processes=2, threads=4, limit_request_body=APACHE_BODY_LIMIT)
    server.start(timeout=90)
    yield server
    server.stop()


def run_script(script: str, *args: str, env: dict, timeout: float) -> subprocess.CompletedProcess:
    """Run a deployment script from an unrelated cwd (/), as the docs tell users to."""
    return subprocess.run(["bash", str(SCRIPTS_DIR / script), *args], env=env, cwd="/",
                          capture_output=True, text=True, timeout=timeout)


def system_apache_tests_enabled() -> bool:
    """Root, and not DIGIT_CLASSIFIER_SKIP_SYSTEM_APACHE=1: the tests may build sites in /etc/apache2."""
    return os.geteuid() == 0 and os.environ.get("DIGIT_CLASSIFIER_SKIP_SYSTEM_APACHE") != "1"


class Canary:
    """A site built by build_all_local.sh that stands for a user's live deployment.

    A thread asks its ``/healthz`` every ``period`` seconds and keeps every answer
    that is not 200, so a test (or the session's end) can check that nothing in
    the suite stopped, broke or reconfigured it.
    """

    def __init__(self, env: dict, url: str, name: str, period: float = 2.0):
        self.env, self.url, self.name, self.period = env, url, name, period
        self.failures: list[str] = []
        self.checks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="canary-watch", daemon=True)

    def check(self) -> str | None:
        """One health request; None when it answered 200, else what went wrong."""
        try:
            response = requests.get(self.url + "/healthz", timeout=30)
        except requests.RequestException as exc:
            return f"{time.strftime('%H:%M:%S')} {type(exc).__name__}: {exc}"
        return None if response.status_code == 200 else f"{time.strftime('%H:%M:%S')} HTTP {response.status_code}"

    def _watch(self) -> None:
        while not self._stop.wait(self.period):
            problem = self.check()
            self.checks += 1
            if problem:
                self.failures.append(problem)

    def start_watching(self) -> None:
        self._thread.start()

    def stop_watching(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(timeout=60)


@pytest.fixture(scope="session", autouse=True)
def canary(quick_model_path):
    """A live deployment built by build_all_local.sh before the deployment tests, checked at the end.

    It has its own app name, port, install dir and state dir, like a user's own site
    would. The other tests build, rebuild and clean up sites of their own next to it;
    at the very end of the session (after every other test folder too) it must still
    answer, and must have answered every health check made meanwhile: otherwise the
    session ends with an error. Then it is removed with cleanup.sh. None when the
    system Apache tests are off (not root, or DIGIT_CLASSIFIER_SKIP_SYSTEM_APACHE=1).
    """
    if not system_apache_tests_enabled():
        yield None
        return
    name = f"dc_canary_{secrets.token_hex(3)}"
    port = express_server.free_port()
    env = {**os.environ, "DC_APP_NAME": name, "DC_INSTALL_DIR": f"/opt/{name}", "DC_PORT": str(port),
           "DC_PROCESSES": "1", "DC_THREADS": "2"}
    site = Canary(env, f"http://127.0.0.1:{port}", name)
    build = run_script("build_all_local.sh", "--model", str(quick_model_path), env=env, timeout=1500)
    try:
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        site.start_watching()
        yield site
        site.stop_watching()
        last = site.check()
        assert last is None and site.failures == [], (
            f"the canary site {name} stopped answering during the test session: "
            f"{site.failures + [last]} ({site.checks} checks)")
    finally:
        site.stop_watching()
        cleanup = run_script("cleanup.sh", env=env, timeout=600)
        assert cleanup.returncode == 0, cleanup.stdout[-3000:] + cleanup.stderr[-3000:]
