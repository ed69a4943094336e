"""tests/run.sh never stops, reloads or reconfigures the system Apache while it installs packages.

tests/install_packages.sh runs here against stand-ins for dpkg-query, apt-get and every
service-control command (on PATH), with its policy-rc.d and Apache folder moved into a
temporary folder, so nothing on the machine changes.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.deploy.conftest import REPO_ROOT

INSTALL_SCRIPT = REPO_ROOT / "tests" / "install_packages.sh"
SERVICE_COMMANDS = ("service", "systemctl", "apache2ctl", "apachectl", "invoke-rc.d",
                    "a2enmod", "a2dismod", "a2ensite", "a2dissite", "a2enconf", "a2disconf")

# apt-get stand-in: asks policy-rc.d whether apache2 may start (as invoke-rc.d does), records
# the answer, enables a module in the Apache folder the way libapache2-mod-wsgi-py3 does, and
# fails when APT_FAIL is set.
FAKE_APT = """#!/bin/bash
echo "apt-get $*" >> "$FAKE_LOG"
if [ "$1" = install ]; then
    if [ -x "$DC_TESTS_POLICY_RC_D" ]; then "$DC_TESTS_POLICY_RC_D" apache2 start; echo "policy $?" >> "$FAKE_LOG"
    else echo "policy none" >> "$FAKE_LOG"; fi
    mkdir -p "$DC_TESTS_APACHE_CONF_DIR/mods-enabled"
    ln -s ../mods-available/wsgi.load "$DC_TESTS_APACHE_CONF_DIR/mods-enabled/wsgi.load"
    [ -z "$APT_FAIL" ] || exit 100
fi
exit 0
"""


@pytest.fixture()
def sandbox(tmp_path):
    """Stand-in commands, a fake Apache folder, a log, and the environment to run the script in."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    stubs = {"dpkg-query": "#!/bin/sh\nexit 1\n",   # every package missing
             "apt-get": FAKE_APT}
    for name in SERVICE_COMMANDS:
        stubs[name] = f'#!/bin/sh\necho "FORBIDDEN {name} $*" >> "$FAKE_LOG"\n'
    for name, text in stubs.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    apache = tmp_path / "apache2"
    for folder in ("mods-enabled", "conf-enabled", "sites-enabled"):
        (apache / folder).mkdir(parents=True)
    (apache / "sites-enabled" / "someones_site.conf").symlink_to("../sites-available/someones_site.conf")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE_LOG": str(log),
           "DC_TESTS_POLICY_RC_D": str(tmp_path / "policy-rc.d"), "DC_TESTS_APACHE_CONF_DIR": str(apache),
           "APT_FAIL": ""}
    return {"env": env, "log": log, "policy": tmp_path / "policy-rc.d", "apache": apache}


def run_install(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(INSTALL_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(os.geteuid() != 0, reason="the script installs only as root")
def test_install_forbids_service_actions_and_restores_apache_config(sandbox):
    result = run_install(sandbox["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    calls = sandbox["log"].read_text()
    assert "apt-get install" in calls
    assert "policy 101" in calls                     # services were forbidden while apt ran
    assert "FORBIDDEN" not in calls, calls           # and nothing stopped or reloaded Apache
    assert not sandbox["policy"].exists()            # no policy-rc.d left behind
    assert not (sandbox["apache"] / "mods-enabled" / "wsgi.load").is_symlink()   # module link undone
    assert (sandbox["apache"] / "sites-enabled" / "someones_site.conf").is_symlink()


@pytest.mark.skipif(os.geteuid() != 0, reason="the script installs only as root")
def test_install_on_a_machine_without_apache(sandbox):
    """A fresh machine has no Apache folder before the install: the script installs and
    keeps the configuration the packages bring."""
    apache = sandbox["apache"]
    for folder in ("mods-enabled", "conf-enabled", "sites-enabled"):
        for entry in (apache / folder).iterdir():
            entry.unlink()
        (apache / folder).rmdir()
    result = run_install(sandbox["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "apt-get install" in sandbox["log"].read_text()
    assert (apache / "mods-enabled" / "wsgi.load").is_symlink()     # the package's own link stays
    assert not sandbox["policy"].exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the script installs only as root")
def test_failed_install_puts_the_previous_policy_back(sandbox):
    sandbox["policy"].write_text("#!/bin/sh\n# the machine's own policy\nexit 0\n")
    sandbox["policy"].chmod(0o755)
    result = run_install({**sandbox["env"], "APT_FAIL": "1"})
    assert result.returncode != 0
    assert "policy 101" in sandbox["log"].read_text()
    assert "the machine's own policy" in sandbox["policy"].read_text()
    assert "FORBIDDEN" not in sandbox["log"].read_text()


def test_run_scripts_never_control_services():
    """Neither tests/run.sh nor the install script calls a service-control command (comments aside)."""
    for script in (REPO_ROOT / "tests" / "run.sh", INSTALL_SCRIPT):
        code = "\n".join(line.split("#", 1)[0] for line in script.read_text().splitlines()
                         if not line.lstrip().startswith("#"))
        used = [name for name in SERVICE_COMMANDS if re.search(rf"(^|[\s;|&(]){re.escape(name)}\b", code)]
        assert used == [], f"{script.name} calls {used}"
