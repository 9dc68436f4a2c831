"""Hostile or absurd input gets a clear 4xx or is made harmless, never a 500; what is stored
is what was promised."""
import base64
import io

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Analysis, User
from tests import images


def stored_filenames(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Analysis.filename).order_by(Analysis.id)))


@pytest.mark.parametrize("query", [
    "to=9999-12-31", "from=9999-12-31", "from=0001-01-01&tz=Asia/Tokyo", "to=0001-01-01&tz=Pacific/Kiritimati",
    "from=0001-01-01&to=9999-12-31", "from=0001-01-01&to=9999-12-31&bucket=week",
    "to=9999-12-31&tz=Pacific/Kiritimati", "from=2026-02-30", "bucket=year", "page=%C2%B2",
    "page=99999999999999999999999999", "page=-1", "tz=%00", "tz=../../etc/passwd", "preset=%F0%9F%98%80",
])
def test_dashboard_and_its_json_survive_odd_queries(client, auth, query):
    auth.register()
    page = client.get(f"/dashboard/?{query}")
    data = client.get(f"/dashboard/data.json?{query}")
    assert page.status_code in (200, 400), page.status_code
    assert data.status_code in (200, 400), data.status_code
    if data.status_code == 400:
        assert data.get_json()["error"]


def test_far_dates_are_clamped_to_what_can_be_stored(client, auth):
    auth.register()
    data = client.get("/dashboard/data.json?from=0001-01-01&to=9999-12-31").get_json()
    assert data["range"]["from"] <= "1900-01-01"
    assert data["range"]["to"] >= "9999-01-01"


@pytest.mark.parametrize("name, expected", [
    ("\ud800x.jpg", "\ufffdx.jpg"),
    ("a\x00b.jpg", "ab.jpg"),
    ("evil\u202egpj.exe", "evilgpj.exe"),
    ("C:\\fakepath\\photo.jpg", "photo.jpg"),
    ("../../etc/photo.jpg", "photo.jpg"),
    ("\x00\x01", "image"),
    ("x" * 400 + ".jpg", "x" * 255),
])
def test_json_upload_filenames_are_made_safe(client, auth, app, name, expected):
    auth.register()
    body = {"image": base64.b64encode(images.astronaut_jpeg()).decode(), "filename": name}
    response = client.post("/api/analyze", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["results"][0]["filename"] == expected
    assert stored_filenames(app) == [expected]


@pytest.mark.parametrize("name, expected", [("a\x00b.jpg", "ab.jpg"), ("dir/a\u202eb.jpg", "ab.jpg")])
def test_multipart_upload_filenames_are_made_safe(client, auth, app, name, expected):
    auth.register()
    response = client.post(
        "/api/analyze",
        data={"image": (io.BytesIO(images.astronaut_jpeg()), name, "image/jpeg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored_filenames(app) == [expected]


def test_multipart_filename_with_raw_bad_bytes(client, auth, app):
    """A part header whose filename is not UTF-8 (and holds a NUL) is decoded, then cleaned."""
    auth.register()
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"".encode()
        + b"\xff\xfe\x00bad.jpg"
        + b"\"\r\nContent-Type: image/jpeg\r\n\r\n"
        + images.astronaut_jpeg()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post("/api/analyze", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    for name in stored_filenames(app):
        assert "\x00" not in name
        name.encode("utf-8")


@pytest.mark.parametrize("body", [
    '{"image": "\\ud800"}', '{"image": 5}', "[1, 2]", '"just a string"', '{"image": "", "filename": 7}',
    '{"image": "data:,", "filename": "\\u0000"}', "{" * 100_000,
])
def test_odd_json_bodies_are_400(client, auth, app, body):
    auth.register()
    response = client.post("/api/analyze", data=body, content_type="application/json")
    assert response.status_code == 400, (response.status_code, response.get_data(as_text=True)[:200])
    assert response.get_json()["error"]
    assert stored_filenames(app) == []


@pytest.mark.parametrize("url", [
    "/api/analyses/99999999999999999999", "/api/analyses/2147483648", "/analyses/99999999999999999999",
    "/analyses/batch?ids=99999999999999999999,%C2%B2,-1", "/api/webcam/sessions/99999999999999999999",
])
def test_huge_ids_are_not_found(client, auth, url):
    auth.register()
    response = client.get(url)
    assert response.status_code == 404, response.status_code


@pytest.mark.parametrize("name", ["a\x00b", "alice\x00", "x" * 300, "\ufdfa" * 40])
def test_odd_login_names_are_refused_plainly(client, auth, name):
    auth.register()
    auth.logout()
    response = client.post("/auth/login", data={"username": name, "password": "x" * 10})
    assert response.status_code in (400, 401), response.status_code


@pytest.mark.parametrize("email", ["b\x00b@example.com", "b@exam\x00ple.com"])
def test_registration_with_a_nul_is_refused(client, app, email):
    data = {"username": "bob", "email": email, "password": "p" * 10, "confirm": "p" * 10}
    assert client.post("/auth/register", data=data).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(User.id)).all() == []
