"""Last in tests/deploy (files run in name order): the canary site survived the deployment tests.

The canary fixture checks again at the very end of the session, after every other folder.
"""

import time

import pytest
import requests

from tests.deploy.conftest import SCRIPTS_DIR


@pytest.mark.slow
def test_canary_still_answers_after_the_deployment_tests(canary):
    if canary is None:
        pytest.skip("needs root and the system Apache (DIGIT_CLASSIFIER_SKIP_SYSTEM_APACHE unset)")
    deadline = time.monotonic() + 10   # run alone, the watcher (every 2 s) may not have looked yet
    while canary.checks == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert canary.failures == [], f"{canary.failures} ({canary.checks} checks)"
    assert canary.checks > 0
    sample = (SCRIPTS_DIR / "sample_digit_7.png").read_bytes()
    answer = requests.post(canary.url + "/api/v1/predict", files={"image": ("s.png", sample, "image/png")},
                           timeout=30)
    assert answer.status_code == 200 and answer.json()["digit"] == 7
