import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Analysis, FaceResult
from tests import images


def stored(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Analysis)),
            db.session.scalar(select(func.count()).select_from(FaceResult)),
        )


def analysis_ids(app):
    with app.app_context():
        return list(db.session.scalars(select(Analysis.id).order_by(Analysis.id)))


def upload(client, *files, url="/api/analyze"):
    data = {"image": [(io.BytesIO(content), name, mimetype) for content, name, mimetype in files]}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_api_astronaut_one_happy_face_stored(client, auth, app):
    auth.register()
    response = upload(client, (images.astronaut_jpeg(), "astronaut.jpg", "image/jpeg"))
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    assert (result["width"], result["height"]) == (512, 512)
    assert result["source"] == "upload"
    [face] = result["faces"]
    assert face["label"] == "happy"
    assert set(face["scores"]) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    assert sum(face["scores"].values()) == pytest.approx(1.0, abs=1e-3)
    assert face["confidence"] == pytest.approx(max(face["scores"].values()))
    assert 0 < face["box"]["w"] < 512 and 0 < face["box"]["h"] < 512

    history = client.get(f"/api/analyses/{result['id']}").get_json()
    assert history["faces"][0]["label"] == "happy"
    assert stored(app) == (1, 1)


def test_upload_page_redirects_to_the_labelled_result_and_stores_it(client, auth, app):
    auth.register()
    response = upload(client, (images.astronaut_jpeg(), "astronaut.jpg", "image/jpeg"), url="/analyze")
    assert response.status_code == 303
    [analysis_id] = analysis_ids(app)
    assert response.headers["Location"] == f"/analyses/{analysis_id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "astronaut.jpg" in html
    assert "Face 1: happy" in html
    assert "The photo was not kept on the server" in html  # keep-my-photos is off by default
    assert stored(app) == (1, 1)
    assert "astronaut.jpg" in client.get("/dashboard/").get_data(as_text=True)


@pytest.mark.parametrize("ext,mimetype", [(".png", "image/png"), (".webp", "image/webp"), (".bmp", "image/bmp")])
def test_other_formats_are_accepted(client, auth, ext, mimetype):
    auth.register()
    response = upload(client, (images.astronaut_as(ext), "astronaut" + ext, mimetype))
    assert response.status_code == 200
    assert len(response.get_json()["results"][0]["faces"]) == 1


def test_validation_is_by_content_not_file_name(client, auth):
    auth.register()
    response = upload(client, (images.astronaut_jpeg(), "photo.txt", "application/octet-stream"))
    assert response.status_code == 200


def test_several_images_in_one_upload(client, auth, app):
    auth.register()
    response = upload(
        client,
        (images.astronaut_jpeg(), "one.jpg", "image/jpeg"),
        (images.faceless_png(), "two.png", "image/png"),
    )
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["filename"] for r in results] == ["one.jpg", "two.png"]
    assert [len(r["faces"]) for r in results] == [1, 0]
    assert stored(app) == (2, 1)


def test_no_face_is_a_friendly_normal_result(client, auth, app):
    auth.register()
    response = upload(client, (images.faceless_png(), "landscape.png", "image/png"), url="/analyze")
    assert response.status_code == 303
    assert "No face found" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert stored(app) == (1, 0)


def test_json_body_with_base64_image(client, auth):
    import base64

    auth.register()
    payload = {"image": base64.b64encode(images.astronaut_jpeg()).decode(), "filename": "a.jpg"}
    response = client.post("/api/analyze", json=payload)
    assert response.status_code == 200
    assert response.get_json()["results"][0]["filename"] == "a.jpg"


BAD_FILES = {
    "empty file": (b"", "empty.jpg", "image/jpeg", 400),
    "truncated jpeg": (images.truncated_jpeg(), "cut.jpg", "image/jpeg", 400),
    "text renamed jpg": (b"hello, I am text pretending to be a picture\n" * 20, "text.jpg", "image/jpeg", 400),
    "one pixel": (images.one_pixel_png(), "dot.png", "image/png", 400),
    "non-image content type": (images.astronaut_jpeg(), "notes.txt", "text/plain", 415),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_api_rejects_bad_files(client, auth, app, case):
    content, name, mimetype, status = BAD_FILES[case]
    auth.register()
    response = upload(client, (content, name, mimetype))
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]
    assert stored(app) == (0, 0)


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_page_rejects_bad_files_with_a_message(client, auth, app, case):
    content, name, mimetype, status = BAD_FILES[case]
    auth.register()
    response = upload(client, (content, name, mimetype), url="/analyze")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert 'class="flash flash-error"' in html and name in html
    assert stored(app) == (0, 0)


def test_decompression_bomb_is_refused_before_decoding(client, auth, app):
    auth.register()
    response = upload(client, (images.huge_png(), "bomb.png", "image/png"))
    assert response.status_code == 400
    assert "bomb.png" in response.get_json()["error"]
    response = upload(client, (images.huge_png(), "bomb.png", "image/png"), url="/analyze")
    assert response.status_code == 400
    assert stored(app) == (0, 0)


def test_a_bad_file_is_reported_and_the_good_one_stored(client, auth, app):
    auth.register()
    response = upload(
        client,
        (images.astronaut_jpeg(), "good.jpg", "image/jpeg"),
        (images.truncated_jpeg(), "bad.jpg", "image/jpeg"),
        (b"plain text", "notes.txt", "text/plain"),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [result["filename"] for result in body["results"]] == ["good.jpg"]
    assert [(e["filename"], e["status"]) for e in body["errors"]] == [("bad.jpg", 400), ("notes.txt", 415)]
    assert body["errors"][0]["error"].startswith("bad.jpg: ")
    assert [(f["filename"], f["ok"]) for f in body["files"]] == [("good.jpg", True), ("bad.jpg", False), ("notes.txt", False)]
    assert stored(app) == (1, 1)


def test_only_bad_files_answer_with_their_status_and_every_message(client, auth, app):
    auth.register()
    response = upload(client, (images.truncated_jpeg(), "cut.jpg", "image/jpeg"), (b"", "empty.png", "image/png"))
    assert response.status_code == 400
    body = response.get_json()
    assert "cut.jpg" in body["error"] and "empty.png" in body["error"]
    assert body["results"] == [] and len(body["errors"]) == 2
    assert stored(app) == (0, 0)


def test_page_stores_the_good_files_and_names_each_bad_one(client, auth, app):
    auth.register()
    response = upload(
        client,
        (images.astronaut_jpeg(), "good.jpg", "image/jpeg"),
        (images.truncated_jpeg(), "bad.jpg", "image/jpeg"),
        url="/analyze",
    )
    assert response.status_code == 303
    [analysis_id] = analysis_ids(app)
    assert response.headers["Location"] == f"/analyses/batch?ids={analysis_id}"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "good.jpg" in html
    assert 'class="flash flash-error" role="alert">bad.jpg: ' in html
    assert stored(app) == (1, 1)


def test_missing_field(client, auth, app):
    auth.register()
    response = client.post("/api/analyze", data={"picture": "nothing"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "field 'image'" in response.get_json()["error"]
    response = client.post("/analyze", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "No image was sent" in response.get_data(as_text=True)
    # What a browser sends when the file input is left empty: a part without name or bytes.
    response = upload(client, (b"", "", "application/octet-stream"), url="/analyze")
    assert response.status_code == 400
    assert "No image was sent" in response.get_data(as_text=True)
    assert stored(app) == (0, 0)


def test_malformed_and_wrong_json(client, auth, app):
    auth.register()
    response = client.post("/api/analyze", data=b'{"image": "abc', content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "Malformed JSON body."
    assert client.post("/api/analyze", json=["not", "an", "object"]).status_code == 400
    assert client.post("/api/analyze", json={"image": "***not base64***"}).status_code == 400
    assert stored(app) == (0, 0)


def test_non_image_request_content_type(client, auth):
    auth.register()
    response = client.post("/api/analyze", data=b"raw bytes", content_type="text/plain")
    assert response.status_code == 415
    assert response.is_json


def test_too_many_files(make_app):
    app = make_app(MAX_FILES_PER_UPLOAD=2)
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).register()
    response = upload(client, *[(images.faceless_png(), f"{i}.png", "image/png") for i in range(3)])
    assert response.status_code == 400
    assert "at most 2" in response.get_json()["error"]


def test_request_larger_than_max_content_length(make_app):
    app = make_app(MAX_CONTENT_LENGTH=50_000)
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).register()
    big = images.astronaut_as(".png")
    assert len(big) > 50_000
    response = upload(client, (big, "big.png", "image/png"))
    assert response.status_code == 413
    assert "limit" in response.get_json()["error"]
    response = upload(client, (big, "big.png", "image/png"), url="/analyze")
    assert response.status_code == 413
    assert "Upload too large" in response.get_data(as_text=True)
    assert stored(app) == (0, 0)


def test_api_requires_login(client, app):
    response = upload(client, (images.astronaut_jpeg(), "a.jpg", "image/jpeg"))
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"
    assert body["detail"].startswith("Log in first") and body["error"] == body["detail"]
    assert client.get("/api/analyses/1").status_code == 401
    assert stored(app) == (0, 0)


def test_upload_page_requires_login(client):
    response = client.get("/analyze")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
