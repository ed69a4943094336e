"""The digit-classifier command line, run in-process and once as the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from digit_classifier.cli import main

COMMANDS = ["fetch-data", "train", "evaluate", "predict", "serve", "client"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert command in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2


def test_fetch_data_with_valid_files_verifies_without_network(mnist_dir, capsys):
    assert main(["fetch-data", "--data-dir", str(mnist_dir), "--timeout", "0.01"]) == 0
    assert "verified" in capsys.readouterr().out


def test_predict_json_reports_each_image_and_fails_on_bad_ones(quick_model_path, digit_folder, capsys):
    folder, labels = digit_folder
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    status = main(["predict", "--model", str(quick_model_path), "--json", "--probabilities", str(folder)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1
    assert len(lines) == len(labels) + 1  # notes.txt is skipped, broken.png reported
    errors = [line for line in lines if "error" in line]
    assert [Path(e["file"]).name for e in errors] == ["broken.png"]
    good = [line for line in lines if "error" not in line]
    assert all(len(line["probabilities"]) == 10 for line in good)
    correct = sum(line["digit"] == labels[Path(line["file"])] for line in good)
    assert correct >= 18


def test_predict_all_good_exits_zero_and_uses_env_model(quick_model_path, digit_folder, capsys, monkeypatch):
    monkeypatch.setenv("DIGIT_CLASSIFIER_MODEL", str(quick_model_path))
    path = next(iter(digit_folder[1]))
    assert main(["predict", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: ") and "p=" in out


def test_predict_missing_model_is_a_clear_error(tmp_path, digit_folder, capsys):
    path = next(iter(digit_folder[1]))
    status = main(["predict", "--model", str(tmp_path / "absent.pkl"), str(path)])
    assert status == 1
    assert "absent.pkl" in capsys.readouterr().err


def test_evaluate_json(quick_model_path, mnist_dir, capsys):
    assert main(["evaluate", "--model", str(quick_model_path), "--data-dir", str(mnist_dir), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert results["test_accuracy"] >= 0.97
    assert len(results["per_class_accuracy"]) == 10
    matrix = results["confusion_matrix"]
    assert len(matrix) == 10 and all(len(row) == 10 for row in matrix)
    assert sum(map(sum, matrix)) == 10000
    assert sum(matrix[d][d] for d in range(10)) / 10000 == pytest.approx(results["test_accuracy"])


def test_train_with_overrides_writes_a_loadable_model(mnist_dir, tmp_path, capsys):
    from digit_classifier.model_io import load_model

    out = tmp_path / "tiny.pkl"
    status = main(["train", "--profile", "quick", "--epochs", "1", "--hidden", "32",
                   "--seed", "3", "--data-dir", str(mnist_dir), "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert status == 0
    assert "epoch   1/1" in printed and "test accuracy" in printed
    model = load_model(out)
    assert list(model["layer_sizes"]) == [784, 32, 10]
    assert model["train_config"]["seed"] == 3
    assert model["metrics"]["test_accuracy"] > 0.85


def test_train_unknown_profile_is_a_clear_error(mnist_dir, tmp_path, capsys):
    status = main(["train", "--profile", "nope", "--data-dir", str(mnist_dir), "--out", str(tmp_path / "m.pkl")])
    assert status == 1
    assert "nope" in capsys.readouterr().err


def test_console_script_is_installed(quick_model_path, digit_folder):
    script = Path(sys.executable).with_name("digit-classifier")
    path = next(iter(digit_folder[1]))
    done = subprocess.run([str(script), "predict", "--json", "--model", str(quick_model_path), str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["file"] == str(path)


def test_serve_runs_the_development_server_on_loopback(quick_model_path, digit_folder):
    import requests
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(sys.executable).with_name("digit-classifier")
    server = subprocess.Popen([str(script), "serve", "--port", str(port), "--model", str(quick_model_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"serve did not start: {server.stderr.read() if server.poll() is not None else ''}")
                time.sleep(0.2)
        assert health.status_code == 200
        path, label = next(iter(digit_folder[1].items()))
        answer = requests.post(f"http://127.0.0.1:{port}/api/v1/predict",
                               files={"image": path.read_bytes()}, timeout=10).json()
        assert answer["digit"] == label
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_evaluate_realistic_set_and_report(quick_model_path, mnist_dir, tmp_path, capsys):
    """evaluate --realistic reads a set made by bench/realistic_set.py; --report writes the plots."""
    realistic = tmp_path / "realistic"
    bench = Path(__file__).resolve().parents[2] / "bench" / "realistic_set.py"
    done = subprocess.run([sys.executable, str(bench), "--n", "60", "--out", str(realistic),
                           "--data-dir", str(mnist_dir)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = tmp_path / "report"
    status = main(["evaluate", "--model", str(quick_model_path), "--data-dir", str(mnist_dir),
                   "--realistic", str(realistic), "--report", str(report), "--json"])
    assert status == 0
    results = json.loads(capsys.readouterr().out)
    assert results["realistic_count"] == 60
    assert results["realistic_accuracy"] >= 0.85
    assert (report / "report.md").is_file()
    pngs = sorted(p.name for p in report.glob("*.png"))
    assert len(pngs) >= 4
    for name in pngs:
        assert name in (report / "report.md").read_text()
