"""The bad-request corpus through the real app: no 5xx, and every API error in our JSON shape."""

from __future__ import annotations

import pytest

from tests.support import corpus

# Pillow warns about the corrupt files on its way to refusing them; the warnings are expected.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

CASES = corpus.all_cases()


def test_the_corpus_is_big_and_names_are_unique():
    assert len(CASES) >= 200
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_request_is_a_clean_4xx(client, case):
    response = client.open(case.path, method=case.method, data=case.body, headers=case.headers)
    assert corpus.problems(case, response.status_code, response.content_type or "", response.get_data()) == []
    assert response.status_code < 500


def test_deep_json_is_a_400_naming_the_nesting(client):
    response = client.post("/api/v1/predict", data=b"[" * 100_000 + b"]" * 100_000,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_json"
    assert "nested too deeply" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("name", ["EPS", "PPM", "PCX", "SVG", "PDF"])
def test_refused_formats_are_not_an_image(client, name):
    from tests.support import bad_images

    response = client.post("/api/v1/predict", data=bad_images.refused_formats()[name],
                           content_type="image/png")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "not_an_image"
