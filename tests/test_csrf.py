"""CSRF protection, with a config that has it switched on (the other tests switch it off)."""
import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import Analysis, User
from tests import images
from tests.conftest import csrf_token_from

PASSWORD = "correct horse battery"


def register_with_token(client):
    token = csrf_token_from(client.get("/auth/register").get_data(as_text=True))
    response = client.post(
        "/auth/register",
        data={"username": "carol", "email": "carol@example.com", "password": PASSWORD, "confirm": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    return csrf_token_from(client.get("/analyze").get_data(as_text=True))


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_forms_without_token_are_rejected(csrf_client, csrf_app):
    response = csrf_client.post(
        "/auth/register",
        data={"username": "carol", "email": "carol@example.com", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert response.status_code == 400
    assert count(csrf_app, User) == 0
    response = csrf_client.post("/auth/login", data={"username": "carol", "password": PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)


def test_logout_without_token_keeps_the_session(csrf_client):
    register_with_token(csrf_client)
    assert csrf_client.post("/auth/logout").status_code == 400
    assert csrf_client.get("/analyze").status_code == 200


def test_api_needs_token_in_header(csrf_client, csrf_app):
    token = register_with_token(csrf_client)
    data = lambda: {"image": (io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg")}  # noqa: E731
    response = csrf_client.post("/api/analyze", data=data(), content_type="multipart/form-data")
    assert response.status_code == 400
    assert "security token" in response.get_json()["error"]
    assert count(csrf_app, Analysis) == 0

    response = csrf_client.post(
        "/api/analyze", data=data(), content_type="multipart/form-data", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    assert count(csrf_app, Analysis) == 1
    assert csrf_client.get("/api/csrf-token").get_json()["csrf_token"]


def test_page_upload_and_delete_need_token(csrf_client, csrf_app):
    token = register_with_token(csrf_client)
    response = csrf_client.post(
        "/analyze", data={"image": (io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert count(csrf_app, Analysis) == 0
    response = csrf_client.post(
        "/analyze", data={"image": (io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with csrf_app.app_context():
        analysis_id = db.session.scalar(select(Analysis.id))
    assert csrf_client.post(f"/analyses/{analysis_id}/delete").status_code == 400
    assert csrf_client.delete(f"/api/analyses/{analysis_id}").status_code == 400
    assert count(csrf_app, Analysis) == 1
    assert csrf_client.post(f"/analyses/{analysis_id}/delete", data={"csrf_token": token}).status_code == 302
    assert count(csrf_app, Analysis) == 0
