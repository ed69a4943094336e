"""The real deployment: build_all_local.sh serves predictions and the model report from the system
Apache; cleanup.sh removes what the build made and nothing else.

Needs root (apt, /etc/apache2, /opt); CI runs as root. Uses its own app name,
port and install dir so that it never touches a real deployment.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.deploy.conftest import SCRIPTS_DIR, system_apache_tests_enabled
from tests.support import express_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.root,
    pytest.mark.skipif(not system_apache_tests_enabled(),
                       reason="needs root (installs packages, writes /etc/apache2 and /opt) and "
                              "DIGIT_CLASSIFIER_SKIP_SYSTEM_APACHE unset"),
]

APACHE_PID_FILE = Path("/var/run/apache2/apache2.pid")


def apache_running() -> bool:
    """Is the system Apache running (pid file names a live, non-zombie process)?"""
    if not APACHE_PID_FILE.exists():
        return False
    text = APACHE_PID_FILE.read_text().strip()
    return text.isdigit() and express_server._process_alive(int(text))


def run(script: str, *args: str, env: dict, timeout: float) -> subprocess.CompletedProcess:
    """Run a deployment script from an unrelated cwd (/), as the docs tell users to."""
    return subprocess.run(["bash", str(SCRIPTS_DIR / script), *args], env=env, cwd="/",
                          capture_output=True, text=True, timeout=timeout)


def model_card_link(page: str) -> str | None:
    """The href of the model card's "Model report" link in an HTML page, or None."""
    found = re.search(r'<a href="([^"]+)">Model report</a>', page[page.index('id="model-card"'):])
    return found.group(1) if found else None


def check_report_served_by_apache(url: str, test_accuracy: float) -> None:
    """The report page, its figures and the link to it, as the deployed site serves them."""
    page = requests.get(url + "/", timeout=10).text
    card_accuracy = re.search(r'data-field="test_accuracy">([^<]+)<', page).group(1)
    assert card_accuracy == f"{100 * test_accuracy:.2f} %"
    assert model_card_link(page) == "/report/report.html"
    report = requests.get(url + "/report/report.html", timeout=10)
    assert report.status_code == 200 and report.headers["Content-Type"].startswith("text/html")
    # Apache's static files carry none of the app's headers: the app did not serve this.
    assert "Content-Security-Policy" not in report.headers
    assert f"test accuracy: <strong>{100 * test_accuracy:.2f}%</strong>" in report.text
    figures = re.findall(r'<img src="([^"]+)"', report.text)
    assert len(figures) == 4
    for name in figures:
        image = requests.get(f"{url}/report/{name}", timeout=10)
        assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n", name
    assert requests.get(url + "/report/", timeout=10).text == report.text   # DirectoryIndex
    assert requests.get(url + "/report/.model-sha256", timeout=10).status_code == 403


def daemon_processes(group: str) -> list[tuple[str, str]]:
    """(user, title) of the mod_wsgi daemon processes named ``(wsgi:<group>)``.

    The title is cut to the length of Apache's own argv[0] (/usr/sbin/apache2, 17 characters).
    """
    title = f"(wsgi:{group})"[:len("/usr/sbin/apache2")]
    out = subprocess.run(["ps", "-e", "-o", "user:32=,args="], capture_output=True, text=True).stdout
    return [tuple(line.split(None, 1)) for line in out.splitlines() if title in line]


@pytest.fixture()
def user_files():
    """Folders and files of "the user's" that the deployment is pointed at: they exist before the build.

    A report folder holding a file of its own, a secret key in a folder of its own, and the
    site's error log already holding a line: the build uses them, cleanup must leave them.
    """
    folder = express_server.make_shared_dir("dc-user-")
    report_dir = folder / "reports"
    report_dir.mkdir(mode=0o755)
    (report_dir / "notes.txt").write_text("the user's own notes\n")
    key_dir = folder / "keys"
    key_dir.mkdir(mode=0o755)
    key = key_dir / "secret_key"
    key.write_text(secrets.token_hex(32) + "\n")
    yield {"dir": folder, "report_dir": report_dir, "notes": report_dir / "notes.txt", "key": key,
           "key_text": key.read_text()}
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def deployment(user_files):
    """DC_* settings for a throw-away deployment, and what to check is gone afterwards."""
    name = f"dc_test_{secrets.token_hex(3)}"
    port = express_server.free_port()
    settings = {
        "DC_APP_NAME": name,
        "DC_INSTALL_DIR": f"/opt/{name}",
        "DC_PORT": str(port),
        "DC_PROCESSES": "2",
        "DC_THREADS": "2",
        "DC_REPORT_DIR": str(user_files["report_dir"]),
        "DC_SECRET_KEY_FILE": str(user_files["key"]),
    }
    env = {**os.environ, **settings}
    error_log = Path(f"/var/log/apache2/{name}_error.log")
    error_log.write_text("a line the user's log held before the build\n")
    leftovers = [Path(f"/opt/{name}"), Path(f"/etc/{name}"),
                 Path(f"/etc/apache2/sites-available/{name}.conf"), Path(f"/etc/apache2/sites-enabled/{name}.conf"),
                 Path(f"/var/log/apache2/{name}_access.log")]
    yield {"name": name, "url": f"http://127.0.0.1:{port}", "env": env, "leftovers": leftovers,
           "error_log": error_log}
    run("cleanup.sh", "--purge", env=env, timeout=600)  # after a failed assertion too
    error_log.unlink(missing_ok=True)


def manifest_lines(name: str) -> list[str]:
    path = Path(f"/var/lib/{name}/manifest")
    return path.read_text().splitlines() if path.exists() else []


def test_build_serves_then_cleanup_removes_what_it_made(deployment, user_files, quick_model_path):
    from digit_classifier.model_io import load_model

    env, url, name = deployment["env"], deployment["url"], deployment["name"]
    was_running = apache_running()

    build = run("build_all_local.sh", "--model", str(quick_model_path), env=env, timeout=1500)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    for n in range(1, 9):
        assert f"==> [{n}/8]" in build.stdout
    assert f"{url}/" in build.stdout
    assert f"model report: {url}/report/report.html\n" in build.stdout
    check_report_served_by_apache(url, load_model(quick_model_path)["metrics"]["test_accuracy"])

    # The site answers through the system Apache, in 2 daemon processes run as www-data.
    assert requests.get(url + "/healthz", timeout=10).json()["status"] == "ok"
    sample = (SCRIPTS_DIR / "sample_digit_7.png").read_bytes()
    answer = requests.post(url + "/api/v1/predict", files={"image": ("s.png", sample, "image/png")}, timeout=30)
    assert answer.status_code == 200 and answer.json()["digit"] == 7
    assert "csrf_token" in requests.get(url + "/", timeout=10).text
    assert requests.get(url + "/static/vendor/bootstrap/bootstrap.min.css", timeout=10).status_code == 200
    daemons = daemon_processes(name)
    assert len(daemons) == 2 and all(user == "www-data" for user, _ in daemons), daemons

    # The user's key was used (made readable by www-data), not replaced.
    assert "keeping the existing secret key" in build.stdout
    key_file = user_files["key"]
    info = key_file.stat()
    assert stat.S_IMODE(info.st_mode) == 0o640 and info.st_gid == 33  # root:www-data
    key = key_file.read_text()
    assert key == user_files["key_text"]
    # The manifest lists what the build made, and none of the user's paths.
    manifest = manifest_lines(name)
    assert f"tree /opt/{name}" in manifest and f"file /etc/apache2/sites-available/{name}.conf" in manifest
    assert f"file {user_files['report_dir']}/report.html" in manifest
    assert f"log /var/log/apache2/{name}_access.log" in manifest
    listed = {line.split(" ", 1)[1] for line in manifest}
    assert not listed & {str(user_files["report_dir"]), str(key_file), str(user_files["notes"]),
                         str(deployment["error_log"]), str(user_files["key"].parent)}
    model = Path(f"/opt/{name}/model/model.pkl")
    assert stat.S_IMODE(model.stat().st_mode) == 0o644 and model.stat().st_uid == 0

    # A re-run keeps the key and the model, skips the slow steps and still serves.
    started = time.monotonic()
    again = run("build_all_local.sh", "--skip-train", env=env, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert time.monotonic() - started < 120
    assert "keeping the existing secret key" in again.stdout
    assert key_file.read_text() == key
    assert requests.get(url + "/healthz", timeout=10).status_code == 200
    assert "the report of the installed model is already there" in again.stdout
    assert model_card_link(requests.get(url + "/", timeout=10).text) == "/report/report.html"

    # Without matplotlib the report cannot be written: a warning, a working site, no link.
    shutil.rmtree(next(Path(f"/opt/{name}/venv/lib").glob("python3*/site-packages/matplotlib")))
    (user_files["report_dir"] / ".model-sha256").write_text("another model\n")
    broken = run("build_all_local.sh", "--skip-train", env=env, timeout=600)
    assert broken.returncode == 0, broken.stdout[-3000:] + broken.stderr[-3000:]
    assert "could not write the model report" in broken.stderr
    assert "matplotlib" in broken.stderr
    assert requests.get(url + "/healthz", timeout=10).status_code == 200
    assert model_card_link(requests.get(url + "/", timeout=10).text) is None
    assert requests.get(url + "/report/report.html", timeout=10).status_code == 404

    cleanup = run("cleanup.sh", env=env, timeout=300)
    assert cleanup.returncode == 0, cleanup.stdout + cleanup.stderr
    left = [str(p) for p in deployment["leftovers"] if p.exists() or p.is_symlink()]
    assert left == []
    # What was the user's before the build is still there, as it was; what the build put in it is gone.
    assert sorted(p.name for p in user_files["report_dir"].iterdir()) == ["notes.txt"]
    assert user_files["notes"].read_text() == "the user's own notes\n"
    assert user_files["key"].read_text() == user_files["key_text"]
    assert deployment["error_log"].read_text().startswith("a line the user's log held before the build\n")
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/report/report.html", timeout=5)
    state_dir = Path(f"/var/lib/{name}")
    manifest = manifest_lines(name)
    recorded = [line.split()[1] for line in manifest if line.startswith("package ")]
    assert not state_dir.exists() or [p.name for p in state_dir.iterdir()] == ["manifest"]
    assert all(line.startswith(("package ", f"dir {state_dir}")) for line in manifest), manifest
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/healthz", timeout=5)
    assert apache_running() == was_running
    assert daemon_processes(name) == []

    # Again, with --purge: removes exactly the packages this build installed (often none), then the state.
    purge = run("cleanup.sh", "--purge", env=env, timeout=600)
    assert purge.returncode == 0, purge.stdout + purge.stderr
    assert not state_dir.exists()
    still = [p for p in recorded if subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}", p],
                                                   capture_output=True, text=True).stdout.startswith("ii")]
    assert still == []


def test_build_refuses_without_root_and_bad_options():
    nobody = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             "bash", str(SCRIPTS_DIR / "build_all_local.sh")],
                            capture_output=True, text=True, timeout=30, cwd="/")
    assert nobody.returncode != 0
    assert "must run as root" in nobody.stderr
    bad = run("build_all_local.sh", "--no-such-option", env=dict(os.environ), timeout=30)
    assert bad.returncode != 0 and "unknown option" in bad.stderr
    missing = run("build_all_local.sh", "--model", "/nonexistent/model.pkl", env=dict(os.environ), timeout=30)
    assert missing.returncode != 0 and "no such file" in missing.stderr


def cleanup_env(tmp_path: Path, **settings: str) -> dict:
    """DC_* settings for cleanup.sh runs that cannot meet any real deployment."""
    name = f"dc_guard_{secrets.token_hex(3)}"
    return {**os.environ, "DC_APP_NAME": name, "DC_STATE_DIR": str(tmp_path / "state"),
            "DC_APACHE_CONF_DIR": str(tmp_path / "apache2"), "DC_INSTALL_DIR": str(tmp_path / name), **settings}


@pytest.mark.parametrize("path", ["/", "/opt", "/opt/", "//opt//", "/usr", "/usr/lib", "/usr/lib/", "/var/www",
                                  "/etc", "/etc/apache2", "/var/log/apache2", "/root", "/home", "/home/someone",
                                  "/srv", "/toplevel", "/opt/dc/../etc", "/opt/./dc", "relative/path"])
def test_path_guard_refuses(path):
    probe = subprocess.run(["bash", "-c", 'source "$1/config_profile.sh"; source "$1/lib.sh"; path_refusal "$2"',
                            "guard", str(SCRIPTS_DIR), path], capture_output=True, text=True, timeout=30)
    assert probe.returncode == 0 and probe.stdout.strip(), f"{path!r} was not refused: {probe.stderr}"


@pytest.mark.parametrize("path", ["/opt/digit_classifier", "/etc/digit_classifier/secret_key",
                                  "/var/log/apache2/digit_classifier_error.log", "/srv/sites/dc"])
def test_path_guard_allows_a_deployments_own_paths(path):
    probe = subprocess.run(["bash", "-c", 'source "$1/config_profile.sh"; source "$1/lib.sh"; path_refusal "$2"',
                            "guard", str(SCRIPTS_DIR), path], capture_output=True, text=True, timeout=30)
    assert probe.returncode == 0 and probe.stdout == ""


def test_cleanup_removes_only_manifest_entries_and_refuses_guarded_ones(tmp_path):
    """A manifest naming /opt/ and a '..' path: both refused (and kept listed); only the rest goes."""
    ours, theirs, state = tmp_path / "ours", tmp_path / "theirs", tmp_path / "state"
    for folder in (ours / "sub", theirs, state):
        folder.mkdir(parents=True)
    (ours / "sub" / "f").write_text("x")
    (theirs / "keep").write_text("not in the manifest")
    (theirs / "made").write_text("in the manifest")
    manifest = [f"dir {state}", f"tree {ours}", f"file {theirs}/made", "tree /opt/", f"tree {ours}/../theirs"]
    (state / "manifest").write_text("\n".join(manifest) + "\n")
    # /opt is a private empty tmpfs for this run: even a guard that failed could not harm the real one.
    script = 'mount -t tmpfs dc-guard /opt && touch /opt/sentinel && bash "$1"; status=$?; ' \
             'test -e /opt/sentinel && echo SENTINEL-KEPT; exit $status'
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", script, "cleanup",
                             str(SCRIPTS_DIR / "cleanup.sh")], env=cleanup_env(tmp_path), cwd="/",
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "SENTINEL-KEPT" in result.stdout
    assert "refusing to remove '/opt/'" in result.stderr and "'..'" in result.stderr
    assert not ours.exists() and not (theirs / "made").exists()
    assert (theirs / "keep").exists()
    left = (state / "manifest").read_text().splitlines()
    assert "tree /opt/" in left and f"tree {ours}/../theirs" in left and f"tree {ours}" not in left


def test_cleanup_without_manifest_removes_nothing(tmp_path):
    env = cleanup_env(tmp_path)
    install_dir = Path(env["DC_INSTALL_DIR"])
    install_dir.mkdir()
    (install_dir / "model.pkl").write_text("someone's")
    for _ in range(2):   # and twice in a row
        result = run("cleanup.sh", env=env, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "nothing is removed" in result.stdout
    assert (install_dir / "model.pkl").read_text() == "someone's"


@pytest.mark.parametrize("setting, value", [("DC_INSTALL_DIR", "/opt/"), ("DC_INSTALL_DIR", "/usr/lib"),
                                            ("DC_REPORT_DIR", "/var/www"), ("DC_CONF_DIR", "/etc"),
                                            ("DC_STATE_DIR", "/var/lib/../lib")])
def test_build_refuses_system_folders_before_changing_anything(setting, value, tmp_path):
    env = {**os.environ, "DC_APP_NAME": f"dc_guard_{secrets.token_hex(3)}", setting: value}
    result = run("build_all_local.sh", "--skip-train", env=env, timeout=60)
    assert result.returncode != 0
    assert f"{setting}={value}" in result.stderr and "choose a folder" in result.stderr
    assert not Path(f"/var/lib/{env['DC_APP_NAME']}").exists()
