"""deployment_scripts/model_store.sh: next versions, sync, prune, rollback; the app reads what it writes."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.deploy.conftest import SCRIPTS_DIR


def store_sh(tmp_path, *commands: str, keep: int = 3) -> subprocess.CompletedProcess:
    """Run ``commands`` in bash with lib.sh and model_store.sh sourced, the store under ``tmp_path``."""
    script = "\n".join(['set -euo pipefail', f'source "{SCRIPTS_DIR}/config_profile.sh"',
                        f'source "{SCRIPTS_DIR}/lib.sh"', f'source "{SCRIPTS_DIR}/model_store.sh"', *commands])
    env = {"PATH": "/usr/bin:/bin", "DC_INSTALL_DIR": str(tmp_path), "DC_MODEL_PATH": str(tmp_path / "model.pkl"),
           "DC_KEEP_VERSIONS": str(keep)}
    return subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture()
def models(tmp_path):
    """Five distinct model-like files m1..m5."""
    paths = []
    for i in range(1, 6):
        path = tmp_path / f"m{i}.pkl"
        path.write_bytes(f"model {i}".encode())
        paths.append(path)
    return paths


def versions(tmp_path, *parts: str) -> list[int]:
    folder = tmp_path.joinpath("models", *parts)
    return sorted(int(p.name) for p in folder.iterdir() if p.name.isdigit()) if folder.exists() else []


def test_sync_adds_only_new_models_and_prune_keeps_the_last_k(tmp_path, models):
    done = store_sh(tmp_path, *[f'store_sync "{m}"; store_prune' for m in models], f'store_sync "{models[-1]}"')
    assert done.returncode == 0, done.stderr
    assert versions(tmp_path, "digits") == [3, 4, 5]
    assert (tmp_path / "models/digits/5/model.pkl").read_bytes() == b"model 5"
    assert "already this model" in done.stdout.splitlines()[-1]


def test_rollback_retires_the_newest_and_numbers_are_never_reused(tmp_path, models):
    done = store_sh(tmp_path, *[f'store_sync "{m}"' for m in models[:3]], "store_rollback", f'store_sync "{models[3]}"')
    assert done.returncode == 0, done.stderr
    assert versions(tmp_path, "digits") == [1, 2, 4]          # 3 was retired; the next model got 4, not 3
    assert versions(tmp_path, ".rolled-back", "digits") == [3]
    assert (tmp_path / "model.pkl").read_bytes() == b"model 2"  # the served file followed the rollback


def test_rollback_needs_two_versions(tmp_path, models):
    done = store_sh(tmp_path, f'store_sync "{models[0]}"', "store_rollback")
    assert done.returncode == 1 and "nothing to roll back to" in done.stderr
    assert versions(tmp_path, "digits") == [1]


def test_the_app_serves_what_the_script_wrote(tmp_path, quick_model_path):
    from digit_classifier.model_io import load_model, save_model
    from digit_classifier.web.model_store import load_store

    other = tmp_path / "other.pkl"
    save_model(other, {**load_model(quick_model_path), "version": "second"})
    done = store_sh(tmp_path, f'store_sync "{quick_model_path}"', f'store_sync "{other}"', "store_rollback",
                    f'store_sync "{other}"')
    assert done.returncode == 0, done.stderr
    store = load_store(tmp_path / "models", tmp_path / "model.pkl", "digits", 0.7)
    assert sorted(store.models["digits"]) == [1, 3] and store.latest("digits").version == 3
    assert store.latest("digits").summary["version"] == "second"


@pytest.mark.parametrize("change, action", [("", "touched"), ("echo changed >> \"$DC_SITE_FILE\"", "reload")])
def test_restart_daemons_touches_unless_apache_config_changed(tmp_path, change, action):
    site, wsgi = tmp_path / "site.conf", tmp_path / "app.wsgi"
    site.write_text("<VirtualHost>\n")
    wsgi.write_text("")
    os.utime(wsgi, (1, 1))
    done = store_sh(tmp_path, f'export DC_SITE_FILE="{site}" DC_WSGI_SCRIPT="{wsgi}" DC_APACHE_CONF_DIR="{tmp_path}"',
                    'DC_APP_NAME=app; apache_service() { echo "apache_service $*"; }',
                    'before=$(site_state)', change, 'restart_daemons "${before}"')
    assert done.returncode == 0, done.stderr
    if action == "touched":
        assert "WSGI script touched" in done.stdout and wsgi.stat().st_mtime > 1
    else:
        assert "apache_service reload" in done.stdout and wsgi.stat().st_mtime == 1
