"""`digit-classifier client` against a real `digit-classifier serve` process, in all three protocols."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from digit_classifier.cli import main


@pytest.fixture(scope="module")
def store(tmp_path_factory, quick_model_dict):
    """A model store with digits/1 and digits/2 (the quick model)."""
    from digit_classifier.model_io import save_model

    root = tmp_path_factory.mktemp("client-store")
    for version in (1, 2):
        (root / "digits" / str(version)).mkdir(parents=True)
        save_model(root / "digits" / str(version) / "model.pkl", {**quick_model_dict, "version": f"build-{version}"})
    return root


@pytest.fixture(scope="module")
def server(store):
    """``(base URL, process)`` of `digit-classifier serve --store` on 127.0.0.1 at a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = Path(sys.executable).with_name("digit-classifier")
    process = subprocess.Popen([str(script), "serve", "--port", str(port),
                                "--store", str(store)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/healthz", timeout=2)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise AssertionError(f"serve did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
    yield url, process
    process.terminate()
    process.wait(timeout=10)


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture()
def local_predictions(store, digit_folder, capsys):
    """What `predict --json --probabilities` prints for the digit folder with the same model."""
    assert main(["predict", "--json", "--probabilities", "--model", str(store / "digits" / "2" / "model.pkl"),
                 str(digit_folder[0])]) == 0
    return _json_lines(capsys.readouterr().out)


@pytest.mark.parametrize("protocol", ["native", "v1", "v2"])
def test_client_prints_the_same_lines_as_predict(server, digit_folder, local_predictions, capsys, protocol):
    code = main(["client", server[0], str(digit_folder[0]), "--protocol", protocol, "--json", "--probabilities",
                 "--concurrency", "3"])
    lines = _json_lines(capsys.readouterr().out)
    assert code == 0
    assert [line["file"] for line in lines] == [line["file"] for line in local_predictions]
    assert [line["digit"] for line in lines] == [line["digit"] for line in local_predictions]
    for got, want in zip(lines, local_predictions):
        assert got["probabilities"] == pytest.approx(want["probabilities"], abs=1e-6)
        assert got["confident"] == want["confident"]


@pytest.mark.parametrize("protocol", ["native", "v1", "v2"])
def test_client_version_and_bad_files(server, digit_folder, tmp_path, capsys, protocol):
    good = next(iter(digit_folder[1]))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    code = main(["client", server[0], str(good), str(bad), str(tmp_path / "missing.png"),
                 "--protocol", protocol, "--version", "1", "--json"])
    lines = _json_lines(capsys.readouterr().out)
    assert code == 1
    assert lines[0]["digit"] == digit_folder[1][good] and "probabilities" not in lines[0]
    assert "error" in lines[1] and "error" in lines[2]
    code = main(["client", server[0], str(good), "--protocol", protocol, "--version", "9"])
    assert code == 1 and "404" in capsys.readouterr().err


def test_client_text_output_and_unreachable_server(server, digit_folder, capsys):
    good = next(iter(digit_folder[1]))
    assert main(["client", server[0], str(good)]) == 0
    assert capsys.readouterr().out.startswith(f"{good}: {digit_folder[1][good]} (p=")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert main(["client", f"http://127.0.0.1:{closed}", str(good), "--timeout", "5"]) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_sighup_rescans_the_store(server, store):
    import shutil

    url, process = server
    (store / "digits" / "3").mkdir()
    shutil.copy(store / "digits" / "1" / "model.pkl", store / "digits" / "3" / "model.pkl")
    process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 30
    listing = {}
    while time.monotonic() < deadline:
        listing = requests.get(f"{url}/api/v1/models", timeout=5).json()
        if listing["models"][0]["default_version"] == 3:
            break
        time.sleep(0.2)
    assert [v["version"] for v in listing["models"][0]["versions"]] == [1, 2, 3]
    assert listing["models"][0]["default_version"] == 3
