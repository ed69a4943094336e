"""Settings sources, the secret-key policy, model loading at start-up, and wsgi.py."""

import importlib.util
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digit_classifier.config import SETTINGS
from digit_classifier.web import create_app
from digit_classifier.config import ENV_PREFIX

REPO = Path(__file__).resolve().parents[2]
KEY = "k" * 40


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No DIGIT_CLASSIFIER_* variable leaks in; the instance folder is an empty temp dir."""
    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv(ENV_PREFIX + "INSTANCE_PATH", str(tmp_path / "instance"))
    (tmp_path / "instance").mkdir()


def test_environment_variables(monkeypatch, tmp_path, model_path):
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    monkeypatch.setenv(ENV_PREFIX + "MODEL", str(model_path))
    monkeypatch.setenv(ENV_PREFIX + "MAX_UPLOAD_BYTES", "2048")
    monkeypatch.setenv(ENV_PREFIX + "CONFIDENCE_THRESHOLD", "0.25")
    monkeypatch.setenv(ENV_PREFIX + "BATCH_MAX_IMAGES", "3")
    monkeypatch.setenv(ENV_PREFIX + "SECRET_KEY_FILE", str(key_file))
    monkeypatch.setenv(ENV_PREFIX + "REPORT_URL", "/static/report.html")
    app = create_app()
    assert app.config["MODEL_PATH"] == str(model_path)
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert app.config["CONFIDENCE_THRESHOLD"] == 0.25
    assert app.config["BATCH_MAX_IMAGES"] == 3
    assert app.config["SECRET_KEY"] == KEY
    assert app.extensions["digit_classifier"].predictor.confidence_threshold == 0.25
    assert b'href="/static/report.html"' in app.test_client().get("/").data


def test_instance_file_and_default_key_file(tmp_path, model_path):
    instance = tmp_path / "instance"
    (instance / "settings.toml").write_text(f'MODEL_PATH = "{model_path}"\nMAX_CONTENT_LENGTH = 5000\n')
    (instance / "secret_key").write_text(KEY)
    app = create_app()
    assert app.instance_path == str(instance)
    assert app.config["MAX_CONTENT_LENGTH"] == 5000 and app.config["SECRET_KEY"] == KEY
    assert app.test_client().get("/healthz").status_code == 200


def test_environment_beats_instance_file_and_test_config_beats_both(monkeypatch, tmp_path):
    (tmp_path / "instance" / "settings.toml").write_text("MAX_CONTENT_LENGTH = 5000\n")
    monkeypatch.setenv(ENV_PREFIX + "MAX_UPLOAD_BYTES", "6000")
    assert create_app({"SECRET_KEY": KEY}).config["MAX_CONTENT_LENGTH"] == 6000
    assert create_app({"SECRET_KEY": KEY, "MAX_CONTENT_LENGTH": 7000}).config["MAX_CONTENT_LENGTH"] == 7000


def test_default_upload_limit_fits_a_phone_photo():
    assert create_app({"SECRET_KEY": KEY}).config["MAX_CONTENT_LENGTH"] == 10 * 1024 * 1024


@pytest.mark.parametrize("name, value", [("MAX_UPLOAD_BYTES", "lots"), ("MAX_UPLOAD_BYTES", "10"),
                                         ("CONFIDENCE_THRESHOLD", "1.5"), ("CONFIDENCE_THRESHOLD", "high"),
                                         ("BATCH_MAX_IMAGES", "0"), ("DEV", "maybe"), ("LOG_LEVEL", "LOUD")])
def test_bad_values_fail_at_start_naming_the_setting(monkeypatch, name, value):
    monkeypatch.setenv(ENV_PREFIX + name, value)
    with pytest.raises(ValueError) as error:
        create_app({"SECRET_KEY": KEY})
    assert value in str(error.value)


def test_production_requires_a_secret_key():
    with pytest.raises(RuntimeError, match="SECRET_KEY_FILE"):
        create_app()


def test_short_key_file_is_refused(monkeypatch, tmp_path):
    (tmp_path / "short").write_text("abc")
    monkeypatch.setenv(ENV_PREFIX + "SECRET_KEY_FILE", str(tmp_path / "short"))
    with pytest.raises(ValueError, match="fewer than 16"):
        create_app()


@pytest.mark.parametrize("config, env", [({"TESTING": True}, None), ({"DEBUG": True}, None), (None, "1")])
def test_random_key_only_in_development(monkeypatch, caplog, config, env):
    if env:
        monkeypatch.setenv(ENV_PREFIX + "DEV", env)
    with caplog.at_level(logging.WARNING):
        first, second = create_app(config), create_app(config)
    assert len(first.config["SECRET_KEY"]) >= 32 and first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert "random per-process key" in caplog.text


def test_key_file_gives_every_process_the_same_key(monkeypatch, tmp_path):
    (tmp_path / "key").write_text(KEY)
    monkeypatch.setenv(ENV_PREFIX + "SECRET_KEY_FILE", str(tmp_path / "key"))
    assert create_app().config["SECRET_KEY"] == create_app().config["SECRET_KEY"] == KEY


def test_model_is_loaded_once_at_creation(tmp_path, model_path):
    copy = tmp_path / "model.pkl"
    shutil.copy(model_path, copy)
    app = create_app({"SECRET_KEY": KEY, "MODEL_PATH": str(copy)})
    copy.unlink()  # the app must not need the file any more
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/model").status_code == 200


@pytest.mark.parametrize("content", [b"", b"not a pickle at all", b"\x80\x05K\x01."])
def test_invalid_model_file_still_starts(tmp_path, caplog, content):
    bad = tmp_path / "model.pkl"
    bad.write_bytes(content)
    with caplog.at_level(logging.ERROR):
        app = create_app({"SECRET_KEY": KEY, "MODEL_PATH": str(bad)})
    assert "Model unavailable" in caplog.text
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    assert client.get("/").status_code == 200


def test_wsgi_entry_point_works_from_root_directory(tmp_path, model_path):
    (tmp_path / "key").write_text(KEY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env.update({ENV_PREFIX + "MODEL": str(model_path), ENV_PREFIX + "SECRET_KEY_FILE": str(tmp_path / "key"),
                ENV_PREFIX + "INSTANCE_PATH": str(tmp_path / "instance")})
    script = (
        "import runpy\n"
        f"app = runpy.run_path({str(REPO / 'wsgi.py')!r})['application']\n"
        "response = app.test_client().get('/healthz')\n"
        "print(response.status_code, response.get_json()['status'])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd="/", env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "200 ok"
    assert "Model loaded" in done.stderr  # logging goes to stderr (Apache's error log under mod_wsgi)


# --- the one table of settings (digit_classifier.config.SETTINGS) -------------------------------

WSGI_TEMPLATE = REPO / "deployment_scripts" / "site.wsgi.template"
WSGI_ASSIGNMENT = re.compile(r'os\.environ\["(\w+)"\] = "\$\{(\w+)\}"')
ENV_READ = re.compile(r"environ\.get\(|environ\[|getenv\(|in os\.environ")


def test_docs_settings_md_is_generated_from_the_table():
    spec = importlib.util.spec_from_file_location("gen_settings", REPO / "docs" / "gen_settings.py")
    gen_settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_settings)
    assert (REPO / "docs" / "settings.md").read_text(encoding="utf-8") == gen_settings.render(), (
        "docs/settings.md is stale: run python docs/gen_settings.py")


def test_names_and_variables_are_unique_and_prefixed():
    assert len({s.name for s in SETTINGS}) == len({s.env for s in SETTINGS}) == len(SETTINGS)
    assert all(s.env.startswith(ENV_PREFIX) and s.applies_to for s in SETTINGS)


def test_wsgi_template_sets_exactly_the_web_settings_with_a_deployment_name():
    assigned = dict(WSGI_ASSIGNMENT.findall(WSGI_TEMPLATE.read_text()))
    expected = {s.env: s.deploy for s in SETTINGS if s.deploy and "web" in s.applies_to}
    assert assigned == expected


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.deploy], ids=lambda s: s.deploy)
def test_every_deployment_name_is_defined_by_the_deployment_scripts(setting):
    scripts = "".join((REPO / "deployment_scripts" / name).read_text()
                      for name in ("config_profile.sh", "build_all_local.sh"))
    assert re.search(rf'(\$\{{{setting.deploy}:=|^\s*{setting.deploy}=)', scripts, re.MULTILINE)


def test_only_config_reads_the_environment():
    package = REPO / "digit_classifier"
    readers = sorted(str(p.relative_to(package)) for p in package.rglob("*.py")
                     if ENV_READ.search(p.read_text(encoding="utf-8")))
    assert readers == ["config.py"]


def test_app_defaults_are_the_table_defaults():
    cfg = create_app({"SECRET_KEY": KEY}).config
    for s in SETTINGS:
        if s.app_config and "web" in s.applies_to and not callable(s.default) and s.name != "SECRET_KEY":
            assert cfg[s.name] == s.default, s.name


def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv(ENV_PREFIX + "MAX_UPLOAD_BYTES", "")
    monkeypatch.setenv(ENV_PREFIX + "MODEL", "")
    cfg = create_app({"SECRET_KEY": KEY}).config
    assert cfg["MAX_CONTENT_LENGTH"] == next(s.default for s in SETTINGS if s.name == "MAX_CONTENT_LENGTH")
    assert cfg["MODEL_PATH"] == str(REPO / "data" / "model.pkl")
