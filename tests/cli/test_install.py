"""A plain (non-editable) install reads and writes data in the user's data folder, not site-packages.

The package is installed with pip into a fresh venv, from a copy of the sources (so the
checkout's ``setup.py``, ``.git`` and ``data/`` are out of reach). Its dependencies come
from the test interpreter's site-packages through a ``.pth`` line, which adds that folder
to ``sys.path`` after the venv's own but does not run its ``.pth`` files: the editable
install of the checkout stays inactive, and ``digit_classifier`` is the installed copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SOURCES = ["digit_classifier", "setup.py", "README.md", "requirements.txt"]
PRINT_DEFAULTS = ("from digit_classifier import config; "
                  "print(config.__file__); print(config.default_data_dir()); print(config.default_model_path())")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv holding ``pip install <copy of the sources>`` (not editable); returns its folder."""
    root = tmp_path_factory.mktemp("install")
    src = root / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy(REPO / name, src / name, **({"ignore": ignore} if (REPO / name).is_dir() else {}))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q", "install",
           "--no-deps", "--no-build-isolation", "--no-index", str(src)]
    subprocess.run(pip, check=True, timeout=300, capture_output=True, cwd=root)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def run(venv: Path, home: Path, args: list[str], xdg: Path | None = None) -> str:
    """Run ``args`` (the first one a venv/bin name) with a clean environment; return stdout."""
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "COLUMNS": "500"}  # argparse wraps help at hyphens otherwise
    if xdg is not None:
        env["XDG_DATA_HOME"] = str(xdg)
    done = subprocess.run([str(venv / "bin" / args[0]), *args[1:]], env=env, cwd=home,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_installed_defaults_follow_xdg_data_home(installed, tmp_path):
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    home.mkdir()
    module, data_dir, model = run(installed, home, ["python", "-c", PRINT_DEFAULTS], xdg).splitlines()
    assert Path(module).is_relative_to(installed)  # the installed copy, not the checkout
    assert data_dir == str(xdg / "digit-classifier")
    assert model == str(xdg / "digit-classifier" / "model.pkl")
    help_text = run(installed, home, ["digit-classifier", "train", "--help"], xdg)
    assert f"or {xdg / 'digit-classifier' / 'model.pkl'})" in help_text
    assert f"or {xdg / 'digit-classifier'})" in help_text


def test_installed_defaults_without_xdg_use_local_share(installed, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    data_dir = run(installed, home, ["python", "-c", PRINT_DEFAULTS]).splitlines()[1]
    assert data_dir == str(home / ".local" / "share" / "digit-classifier")


def test_installed_train_writes_the_model_into_the_data_folder(installed, tmp_path, mnist_dir):
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    folder = xdg / "digit-classifier"
    folder.mkdir(parents=True)
    home.mkdir()
    for source in mnist_dir.glob("*-ubyte.gz"):
        (folder / source.name).symlink_to(source.resolve())
    out = run(installed, home, ["digit-classifier", "train", "--profile", "quick", "--epochs", "1",
                                "--hidden", "16", "--no-augment", "--quiet"], xdg)
    assert f"model written to {folder / 'model.pkl'}" in out
    assert (folder / "model.pkl").stat().st_size > 1000
    site = next((installed / "lib").glob("python3*/site-packages"))
    assert not (site / "data").exists()
    assert sorted(p.name for p in home.iterdir()) == []  # nothing written under HOME either


def test_checkout_defaults_to_its_data_folder(monkeypatch):
    from digit_classifier import config

    monkeypatch.delenv("DIGIT_CLASSIFIER_DATA_DIR", raising=False)
    monkeypatch.delenv("DIGIT_CLASSIFIER_MODEL", raising=False)
    assert config.is_checkout(REPO)
    assert config.default_data_dir() == REPO / "data"
    assert config.default_model_path() == REPO / "data" / "model.pkl"


@pytest.mark.parametrize("files, checkout", [([], False), (["setup.py"], False), ([".git"], False),
                                             (["data/README.md"], False), (["setup.py", ".git"], True),
                                             (["setup.py", "data/README.md"], True)])
def test_a_checkout_has_setup_py_and_git_or_data_readme(tmp_path, files, checkout):
    from digit_classifier import config

    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert config.is_checkout(tmp_path) is checkout


@pytest.mark.parametrize("xdg, expected", [("/srv/share", "/srv/share/digit-classifier"),
                                           ("relative/share", "/home/u/.local/share/digit-classifier"),
                                           ("", "/home/u/.local/share/digit-classifier")])
def test_user_data_dir_follows_the_xdg_spec(xdg, expected):
    from digit_classifier import config

    assert config.user_data_dir({"XDG_DATA_HOME": xdg, "HOME": "/home/u"}) == Path(expected)


def test_environment_beats_every_default(monkeypatch, tmp_path):
    from digit_classifier import config

    monkeypatch.setenv("DIGIT_CLASSIFIER_DATA_DIR", str(tmp_path / "mnist"))
    monkeypatch.setenv("DIGIT_CLASSIFIER_MODEL", str(tmp_path / "m.pkl"))
    assert config.default_data_dir() == tmp_path / "mnist"
    assert config.default_model_path() == tmp_path / "m.pkl"
