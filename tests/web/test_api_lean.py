"""The JSON side stays stateless and cheap: no session cookie, the model summary computed once."""

from __future__ import annotations

from digit_classifier.web.model_state import get_state


def test_prediction_sets_no_cookie_and_carries_the_summary(app, client, seven_png):
    response = client.post("/api/v1/predict", data={"image": (__import__("io").BytesIO(seven_png), "7.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        info = get_state().predictor.info
    assert response.get_json()["model"] == {"name": info["name"], "version": info["version"],
                                           "store_name": "digits", "store_version": 1}
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_summary_is_computed_once(app):
    with app.app_context():
        state = get_state()
        assert state.summary is state.summary
        assert state.summary["name"] == state.predictor.info["name"]


def test_health_sets_no_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_pages_still_use_the_session_for_csrf(csrf_client):
    response = csrf_client.get("/")
    assert response.status_code == 200
    assert "session=" in response.headers.get("Set-Cookie", "")
