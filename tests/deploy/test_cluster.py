"""The local cluster: build_cluster_local.sh puts 3 Apache + mod_wsgi backends, each in its own
network namespace, behind HAProxy; they share the load, survive a kill -9, take a rolling model
update without a failed request, and cleanup.sh --cluster leaves nothing behind.

Needs root (network namespaces, packages, /etc, /opt); CI runs as root. The cluster has its own
app name, cluster name, /24 in 198.19.0.0/16 and HAProxy port, so that it never meets a user's
cluster (198.18.0.0/24 by default) or the other deployment tests. Traffic goes only to
127.0.0.1 and to the addresses of the namespaces this module made. The tests run in file order
on one module-scoped cluster.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.support import express_server
from tests.support.cluster import Cluster
from tests.support.cluster_load import Load, failed
from tests.support.models import save_shared_model

pytestmark = [
    pytest.mark.slow,
    pytest.mark.root,
    # The build installs what it needs (haproxy, iproute2); only root is required, as for the other deploy tests.
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces, packages, /etc and /opt)"),
]

BACKENDS = ("b1", "b2", "b3")
CHECK_INTER_S, CHECK_FALL = 1.0, 2   # config_profile.sh's DC_CLUSTER_CHECK_INTER (ms) / _FALL defaults
DETECT_LIMIT_S = CHECK_INTER_S * CHECK_FALL + 3.0   # the check interval x fall, plus 3 s for a busy 2-core CI


@pytest.fixture(scope="module")
def cluster(quick_model_path):
    """A 3-backend cluster built from the quick model; torn down (and its packages purged) at the end."""
    site = Cluster(app=f"dc_cl_{secrets.token_hex(3)}", name=f"t{secrets.token_hex(2)}",
                   net=f"198.19.{random.randint(1, 254)}", port=express_server.free_port())
    try:
        build = site.build("--model", str(quick_model_path))
        assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-3000:]
        yield site
    finally:
        site.cleanup("--purge")
        site.force_remove()


@pytest.fixture(scope="module")
def expected_digits(cluster, test_digits) -> list[int]:
    """What the model answers for each test digit (asked once through the cluster, one at a time)."""
    digits = []
    for png, _ in test_digits:
        answer = requests.post(cluster.url + "/api/v1/predict", files={"image": ("d.png", png, "image/png")},
                               timeout=30)
        assert answer.status_code == 200, answer.text
        digits.append(answer.json()["digit"])
    return digits


def check_answers(answers, test_digits, expected_digits) -> None:
    """Every 200 answer gave the digit the model gives for that image."""
    by_label = {}
    for (_, label), digit in zip(test_digits, expected_digits):
        by_label.setdefault(label, set()).add(digit)
    wrong = [a for a in answers if a.status == 200 and a.digit not in by_label[a.label]]
    assert wrong == [], wrong[:5]


def test_requests_reach_every_backend_with_correct_predictions(cluster, test_digits, expected_digits):
    assert sum(d == label for d, (_, label) in zip(expected_digits, test_digits)) >= 18
    served = Counter()
    for i in range(60):
        png, _ = test_digits[i % len(test_digits)]
        answer = requests.post(cluster.url + "/api/v1/predict", files={"image": ("d.png", png, "image/png")},
                               timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["digit"] == expected_digits[i % len(test_digits)]
        served[answer.headers["X-Served-By"]] += 1
    assert set(served) == set(BACKENDS) and min(served.values()) >= 10, served
    assert all(cluster.server_status(b) == "UP" for b in BACKENDS)
    # Each backend is its own Apache, answering on its own namespace's address.
    for backend in BACKENDS:
        health = requests.get(f"http://{cluster.address(backend)}:5000/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"


def test_kill_9_of_a_backend_under_load(cluster, test_digits, expected_digits):
    load = Load(cluster.url, test_digits, threads=4, max_seconds=90).start()
    try:
        time.sleep(3)
        pids = subprocess.run(["ip", "netns", "pids", cluster.namespace("b2")],
                              capture_output=True, text=True).stdout.split()
        assert pids, "b2's namespace runs no process"
        killed_at, killed = time.monotonic(), load.elapsed()
        subprocess.run(["kill", "-9", *pids], check=True)
        while cluster.server_status("b2") != "DOWN" and time.monotonic() - killed_at < 30:
            time.sleep(0.05)
        detected = time.monotonic() - killed_at
        time.sleep(5)
    finally:
        answers = load.stop()
    assert cluster.server_status("b2") == "DOWN"
    assert detected <= DETECT_LIMIT_S, f"b2 marked down after {detected:.1f} s"
    assert len(failed(answers)) <= 0.005 * len(answers), (len(answers), failed(answers)[:5])
    after = [a for a in answers if a.at > killed + detected + 0.5]
    assert len(after) >= 20 and {a.served_by for a in after if a.status == 200} == {"b1", "b3"}
    check_answers(answers, test_digits, expected_digits)


def test_restarted_backend_rejoins(cluster, test_digits):
    again = cluster.build()
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "b2: Apache started" in again.stdout and "b1: Apache already running" in again.stdout
    assert cluster.server_status("b2") == "UP"
    served = Counter()
    for i in range(30):
        png, _ = test_digits[i % len(test_digits)]
        answer = requests.post(cluster.url + "/api/v1/predict", files={"image": ("d.png", png, "image/png")},
                               timeout=30)
        assert answer.status_code == 200
        served[answer.headers["X-Served-By"]] += 1
    assert set(served) == set(BACKENDS), served


def test_rolling_update_under_load_fails_no_request(cluster, quick_model_dict, test_digits, expected_digits):
    new_model = save_shared_model({**quick_model_dict, "version": quick_model_dict["version"] + ".rolled"})
    load = Load(cluster.url, test_digits, threads=4, max_seconds=300).start()
    try:
        time.sleep(2)
        update = cluster.build("--model", str(new_model))
        time.sleep(2)
    finally:
        answers = load.stop()
        shutil.rmtree(new_model.parent, ignore_errors=True)
    assert update.returncode == 0, update.stdout[-3000:] + update.stderr[-3000:]
    assert [line for line in update.stdout.splitlines() if line.startswith("rolled ")] == [
        f"rolled {b}: drained, restarted, healthy, back in rotation" for b in BACKENDS]
    assert len(answers) >= 100 and failed(answers) == [], (len(answers), failed(answers)[:5])
    assert {a.served_by for a in answers} == set(BACKENDS)
    check_answers(answers, test_digits, expected_digits)
    for backend in BACKENDS:   # every backend now serves the new model, the store's version 2
        model = requests.get(f"http://{cluster.address(backend)}:5000/healthz", timeout=10).json()["model"]
        assert model["version"].endswith(".rolled") and model["store_version"] == 2, (backend, model)


def test_no_backend_left_is_a_json_503_from_haproxy(cluster):
    try:
        for backend in BACKENDS:
            cluster.set_state(backend, "maint")
        answer = requests.post(cluster.url + "/api/v1/predict", files={"image": ("d.png", b"x", "image/png")},
                               timeout=30)
        assert answer.status_code == 503 and answer.headers["Content-Type"] == "application/json"
        assert answer.json()["error"]["status"] == 503 and answer.json()["error"]["code"] == "service_unavailable"
    finally:
        for backend in BACKENDS:
            cluster.set_state(backend, "ready")
    deadline = time.monotonic() + 60
    while {cluster.server_status(b) for b in BACKENDS} != {"UP"} and time.monotonic() < deadline:
        time.sleep(0.1)
    assert requests.get(cluster.url + "/healthz", timeout=10).status_code == 200


def test_haproxy_only_in_front_of_hosts(cluster, test_digits):
    """--hosts ... --haproxy-only, with this module's backends standing for real hosts."""
    hosts = [f"{cluster.address(b)}:5000" for b in ("b1", "b3")]
    front = Cluster(app=cluster.app, name=f"h{secrets.token_hex(2)}", net=cluster.net,
                    port=express_server.free_port())
    try:
        built = front.build("--hosts", ",".join(hosts), "--haproxy-only")
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
        names = [h.replace(":", "_") for h in hosts]
        deadline = time.monotonic() + 60
        while {front.server_status(n) for n in names} != {"UP"} and time.monotonic() < deadline:
            time.sleep(0.1)
        served = Counter()
        for i in range(10):
            png, _ = test_digits[i]
            answer = requests.post(front.url + "/api/v1/predict", files={"image": ("d.png", png, "image/png")},
                                   timeout=30)
            assert answer.status_code == 200
            served[answer.headers["X-Served-By"]] += 1
        assert set(served) == set(names), served
    finally:
        gone = front.cleanup()
    assert gone.returncode == 0, gone.stdout[-3000:] + gone.stderr[-3000:]
    assert not Path(f"/etc/{front.app}-{front.name}").exists() and not front.run_dir.exists()
    assert requests.get(cluster.url + "/healthz", timeout=10).status_code == 200   # the first cluster is untouched


def test_teardown_leaves_nothing(cluster):
    cleanup = cluster.cleanup()
    assert cleanup.returncode == 0, cleanup.stdout[-3000:] + cleanup.stderr[-3000:]
    assert cluster.namespaces_left() == [] and cluster.links_left() == []
    assert [str(p) for p in cluster.paths if p.exists()] == []
    with pytest.raises(requests.ConnectionError):
        requests.get(cluster.url + "/healthz", timeout=5)
    processes = subprocess.run(["ps", "-e", "-o", "args="], capture_output=True, text=True).stdout
    assert f"{cluster.app}-{cluster.name}" not in processes
    # Only the cluster's package list may stay (for a later --purge); a second run is harmless.
    state = Path(f"/var/lib/{cluster.app}-{cluster.name}")
    assert not state.exists() or [p.name for p in state.iterdir()] == ["manifest"]
    twice = cluster.cleanup()
    assert twice.returncode == 0, twice.stdout[-3000:] + twice.stderr[-3000:]
