"""An upload sent again with the same Idempotency-Key (a second press, a retry) returns the first
analysis instead of storing a second one: per user, for a day, only for the same files."""
import io
from datetime import timedelta

from sqlalchemy import func, select, update

from app.analysis.idempotency import fingerprint
from app.analysis.service import ImageUpload
from app.extensions import db
from app.models import Analysis, UploadKey
from tests import images
from tests.conftest import bearer, csrf_token_from, make_token

V1 = "/api/v1"


def post(client, data: bytes, key=None, name="a.jpg", token=None, url=f"{V1}/analyses"):
    headers = {}
    if key is not None:
        headers["Idempotency-Key"] = key
    if token:
        headers.update(bearer(token))
    return client.post(url, data={"image": [(io.BytesIO(data), name, "image/jpeg")]},
                       content_type="multipart/form-data", headers=headers)


def analyses(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Analysis))


def test_the_same_key_returns_the_first_analysis(client, auth, app):
    auth.register()
    first = post(client, images.astronaut_jpeg(), key="k-1")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    again = post(client, images.astronaut_jpeg(), key="k-1")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["results"] == first.get_json()["results"]
    assert analyses(app) == 1
    # Without a key, or with another key, each upload is its own analysis.
    post(client, images.astronaut_jpeg())
    post(client, images.astronaut_jpeg(), key="k-2")
    assert analyses(app) == 3


def test_a_key_is_per_user_and_never_reaches_another_users_analysis(client, auth, app):
    alice = make_token(app, auth.signup_and_login("alice"))
    auth.logout()
    bob = make_token(app, auth.signup_and_login("bob"))
    auth.logout()
    mine = post(client, images.astronaut_jpeg(), key="shared", token=alice).get_json()["results"][0]
    theirs = post(client, images.astronaut_jpeg(), key="shared", token=bob)
    assert theirs.status_code == 200 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["results"][0]["id"] != mine["id"]
    assert analyses(app) == 2


def test_other_files_under_a_used_key_are_refused(client, auth, app):
    auth.register()
    post(client, images.astronaut_jpeg(), key="k")
    other = post(client, images.astronaut_jpeg(side=400), key="k")
    assert other.status_code == 422 and other.mimetype == "application/problem+json"
    assert "other files" in other.get_json()["detail"]
    assert analyses(app) == 1


def test_a_key_lasts_a_day_and_a_deleted_analysis_frees_it(client, auth, app):
    auth.register()
    first = post(client, images.astronaut_jpeg(), key="k").get_json()["results"][0]
    with app.app_context():
        db.session.execute(update(UploadKey).values(created_at=UploadKey.created_at - timedelta(days=1, seconds=1)))
        db.session.commit()
    assert "Idempotent-Replayed" not in post(client, images.astronaut_jpeg(), key="k").headers
    assert analyses(app) == 2
    second = post(client, images.astronaut_jpeg(), key="k2").get_json()["results"][0]
    assert client.delete(f"{V1}/analyses/{second['id']}").status_code == 204
    again = post(client, images.astronaut_jpeg(), key="k2")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert first["id"] != again.get_json()["results"][0]["id"]


def test_a_refused_upload_forgets_its_key_and_an_unfinished_one_answers_409(client, auth, app):
    auth.register()
    bad = post(client, images.truncated_jpeg(), key="k")
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UploadKey)) == 0
        user_id = db.session.scalar(select(Analysis.user_id)) or 1
        sent = fingerprint([ImageUpload("a.jpg", images.astronaut_jpeg())])
        db.session.add(UploadKey(user_id=user_id, key="busy", fingerprint=sent, analysis_ids=""))
        db.session.commit()
    busy = post(client, images.astronaut_jpeg(), key="busy")
    assert busy.status_code == 409 and analyses(app) == 0
    with app.app_context():  # a first request that never finished frees its key after a while
        db.session.execute(update(UploadKey).values(created_at=UploadKey.created_at - timedelta(minutes=6)))
        db.session.commit()
    assert post(client, images.astronaut_jpeg(), key="busy").status_code == 200 and analyses(app) == 1


def test_a_key_we_cannot_use_is_a_400_not_a_500(client, auth):
    auth.register()
    for key in ("x" * 256, " leading", "tab\there", "é"):
        answer = client.post(f"{V1}/analyses", headers={"Idempotency-Key": key},
                             data={"image": [(io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg")]},
                             content_type="multipart/form-data")
        assert answer.status_code == 400, key
        assert "Idempotency-Key" in answer.get_json()["detail"]


def test_the_form_without_javascript_stores_a_double_submit_once(csrf_client, csrf_app):
    client = csrf_client
    page = client.get("/auth/register").get_data(as_text=True)
    client.post("/auth/register", data={"username": "carol", "email": "carol@example.com",
                                        "password": "correct horse battery", "confirm": "correct horse battery",
                                        "csrf_token": csrf_token_from(page)})
    form = client.get("/analyze").get_data(as_text=True)
    import re

    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    data = lambda: {"csrf_token": csrf_token_from(form), "idempotency_key": key,  # noqa: E731
                    "image": [(io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg")]}
    first = client.post("/analyze", data=data(), content_type="multipart/form-data")
    second = client.post("/analyze", data=data(), content_type="multipart/form-data")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert analyses(csrf_app) == 1
    assert key not in client.get("/analyze").get_data(as_text=True)  # a new form, a new key


def test_the_document_describes_the_header(client):
    operation = client.get(f"{V1}/openapi.json").get_json()["paths"]["/api/v1/analyses"]["post"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
    assert parameter["in"] == "header" and not parameter["required"]
    assert {"409", "422"} <= set(operation["responses"])
