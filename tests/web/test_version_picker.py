"""The web page shows the served store version and lets a person pick another."""

import io
import re


def test_page_shows_default_version_and_picker(store_client):
    page = store_client.get("/").get_data(as_text=True)
    assert re.search(r'data-field="served">digits v2 \(default\)', page)
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == ["2", "1"]  # loaded versions only; the failed v3 is not offered
    assert 'action="/predict"' in page


def test_picked_version_is_shown_and_used(store_client, seven_png):
    page = store_client.get("/?version=1").get_data(as_text=True)
    assert 'data-field="served">digits v1<' in page and 'action="/predict?version=1"' in page
    result = store_client.post("/predict?version=1", data={"image": (io.BytesIO(seven_png), "7.png")},
                               content_type="multipart/form-data")
    assert result.status_code == 200
    text = result.get_data(as_text=True)
    assert 'data-field="served">digits v1<' in text and "v1-build" in text


def test_unknown_version_gives_a_friendly_page(store_client, seven_png):
    response = store_client.post("/predict?version=9", data={"image": (io.BytesIO(seven_png), "7.png")},
                                 content_type="multipart/form-data")
    assert response.status_code == 404 and "no version 9" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_single_model_has_no_picker(client):
    page = client.get("/").get_data(as_text=True)
    assert 'data-field="served">digits v1 (default)' in page and "version-picker" not in page
