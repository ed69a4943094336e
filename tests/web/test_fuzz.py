"""Property-based fuzzing of the API through the real app (bounded: a few hundred examples).

The long run against a live server is bench/fuzz_api.py.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from tests.support import corpus
from tests.support.fuzz import api_case


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=api_case())
def test_fuzzed_requests_never_get_a_5xx(app, case):
    response = app.test_client().open(case.path, method=case.method, data=case.body, headers=case.headers)
    body = b"" if case.method == "HEAD" else response.get_data()
    found = corpus.problems(case, response.status_code, response.content_type or "", body)
    assert not [p for p in found if case.method != "HEAD" or p.startswith("status")], found
