"""Personal access tokens: made on the account page, through the API and on the command line;
used as Bearer tokens without CSRF; revoked, expired, malformed and disabled-account tokens get
401, read-only tokens 403 on writes; only a hash is stored."""
import hashlib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth import tokens
from app.extensions import db
from app.models import Analysis, ApiToken, User, utcnow
from tests import images
from tests.conftest import bearer, csrf_token_from, make_token

PASSWORD = "correct horse battery"


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def upload(client, headers=None):
    return client.post("/api/v1/analyses", headers=headers or {}, content_type="multipart/form-data",
                       data={"image": (io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg")})


def test_token_from_the_account_page_is_shown_once_and_works(client, auth, app):
    auth.signup_and_login()
    page = client.post("/auth/account/tokens", data={"name": "backup script", "scope": "read",
                                                     "expires_in_days": "30"})
    assert page.status_code == 200
    secret = re.search(r'id="new-token">([^<]+)<', page.get_data(as_text=True)).group(1)
    assert secret.startswith("mlt_") and len(secret) == tokens.TOKEN_LENGTH
    listing = client.get("/auth/account").get_data(as_text=True)
    assert "backup script" in listing and secret not in listing and secret[:10] in listing
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        # Only the SHA-256 is stored, never the token.
        assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (row.token_hash, row.prefix, row.name)
        assert row.expires_at - row.created_at == timedelta(days=30)
    other = app.test_client()
    response = other.get("/api/v1/analyses", headers=bearer(secret))
    assert response.status_code == 200 and response.get_json()["total"] == 0
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_token_api_create_list_revoke(client, auth, app):
    auth.signup_and_login()
    made = client.post("/api/v1/tokens", json={"name": "ci", "scopes": ["read", "write"], "expires_in_days": 7})
    assert made.status_code == 201
    body = made.get_json()
    assert body["scopes"] == ["read", "write"] and body["token"].startswith(body["prefix"])
    listed = client.get("/api/v1/tokens").get_json()["items"]
    assert [item["name"] for item in listed] == ["ci"] and "token" not in listed[0]
    outsider = app.test_client()
    assert outsider.get("/api/v1/stats", headers=bearer(body["token"])).status_code == 200
    assert client.delete(f"/api/v1/tokens/{body['id']}").status_code == 204
    problem(outsider.get("/api/v1/stats", headers=bearer(body["token"])), 401)
    problem(client.delete(f"/api/v1/tokens/{body['id']}"), 404)


@pytest.mark.parametrize("payload", [
    {}, {"name": ""}, {"name": "x" * 81}, {"name": "x", "scopes": ["admin"]}, {"name": "x", "scopes": []},
    {"name": "x", "expires_in_days": 0}, {"name": "x", "expires_in_days": 100000}, {"name": 5},
    {"name": "x", "unknown": 1}, ["name"],
])
def test_token_create_refuses_bad_bodies(client, auth, payload):
    auth.signup_and_login()
    body = problem(client.post("/api/v1/tokens", json=payload), 422)
    assert body["invalid_params"]


def test_token_create_refuses_control_characters_and_malformed_json(client, auth):
    auth.signup_and_login()
    problem(client.post("/api/v1/tokens", json={"name": "a\nb"}), 400)
    problem(client.post("/api/v1/tokens", data="{oops", content_type="application/json"), 400)


def test_a_token_cannot_make_tokens(client, auth, app):
    user_id = auth.signup_and_login()
    secret = make_token(app, user_id)
    problem(app.test_client().post("/api/v1/tokens", json={"name": "more"}, headers=bearer(secret)), 403)


def test_read_only_token_reads_but_cannot_write(client, auth, app):
    user_id = auth.signup_and_login()
    assert upload(client).status_code == 200
    with app.app_context():
        analysis_id = db.session.scalar(select(Analysis.id))
    reader = make_token(app, user_id, scopes=["read"])
    other = app.test_client()
    assert other.get(f"/api/v1/analyses/{analysis_id}", headers=bearer(reader)).status_code == 200
    body = problem(upload(other, bearer(reader)), 403)
    assert "read-only" in body["detail"]
    problem(other.delete(f"/api/v1/analyses/{analysis_id}", headers=bearer(reader)), 403)
    problem(other.post("/api/v1/webcam/sessions", headers=bearer(reader)), 403)
    problem(other.delete("/api/v1/tokens/1", headers=bearer(reader)), 403)
    writer = make_token(app, user_id, scopes=["write"])
    assert upload(other, bearer(writer)).status_code == 200
    assert other.delete(f"/api/v1/analyses/{analysis_id}", headers=bearer(writer)).status_code == 204


@pytest.mark.parametrize("header", [
    "Bearer ", "Bearer mlt_short", "Bearer " + "mlt_" + "A" * 43, "Bearer " + "x" * 5000,
    "Bearer mlt_" + "é" * 43, "bearer mlt_" + "!" * 43, "Bearer\tmlt_abc",
])
def test_malformed_or_unknown_tokens_get_401_json(client, header):
    response = client.get("/api/v1/analyses", headers={"Authorization": header})
    problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_gets_401(client, auth, app):
    user_id = auth.signup_and_login()
    secret = make_token(app, user_id, expires_in_days=1)
    other = app.test_client()
    assert other.get("/api/v1/analyses", headers=bearer(secret)).status_code == 200
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    problem(other.get("/api/v1/analyses", headers=bearer(secret)), 401)


def test_token_of_a_disabled_account_stops_at_once_and_comes_back_when_enabled(client, auth, app):
    user_id = auth.signup_and_login()
    secret = make_token(app, user_id)
    other = app.test_client()
    assert other.get("/api/v1/analyses", headers=bearer(secret)).status_code == 200
    with app.app_context():
        db.session.get(User, user_id).disabled = True
        db.session.commit()
    problem(other.get("/api/v1/analyses", headers=bearer(secret)), 401)
    with app.app_context():
        db.session.get(User, user_id).disabled = False
        db.session.commit()
    assert other.get("/api/v1/analyses", headers=bearer(secret)).status_code == 200


def test_bearer_token_wins_over_a_cookie_sent_with_it(client, auth, app):
    """A request with both is the token's: a bad token is refused even with a good session."""
    auth.signup_and_login()
    problem(client.get("/api/v1/analyses", headers={"Authorization": "Bearer mlt_" + "B" * 43}), 401)
    assert client.get("/api/v1/analyses").status_code == 200


def test_tokens_only_count_on_the_api(client, auth, app):
    """A token is no key to the pages: they need a login session."""
    user_id = auth.signup_and_login()
    secret = make_token(app, user_id)
    other = app.test_client()
    assert other.get("/dashboard/", headers=bearer(secret)).status_code == 302
    assert other.get("/auth/account", headers=bearer(secret)).status_code == 302


def test_owner_isolation_of_tokens(client, auth, app):
    auth.signup_and_login("alice")
    made = client.post("/api/v1/tokens", json={"name": "alice's"}).get_json()
    auth.logout()
    bob_id = auth.signup_and_login("bob")
    assert client.get("/api/v1/tokens").get_json()["items"] == []
    problem(client.delete(f"/api/v1/tokens/{made['id']}"), 404)
    page = client.post(f"/auth/account/tokens/{made['id']}/revoke")
    assert page.status_code == 404
    bob_token = make_token(app, bob_id)
    problem(app.test_client().delete(f"/api/v1/tokens/{made['id']}", headers=bearer(bob_token)), 404)
    assert app.test_client().get("/api/v1/stats", headers=bearer(made["token"])).status_code == 200


def test_revoking_on_the_account_page(client, auth, app):
    user_id = auth.signup_and_login()
    secret = make_token(app, user_id, name="laptop")
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    response = client.post(f"/auth/account/tokens/{token_id}/revoke")
    assert response.status_code == 302
    problem(app.test_client().get("/api/v1/analyses", headers=bearer(secret)), 401)
    assert "laptop" not in client.get("/auth/account").get_data(as_text=True)


def test_account_page_token_form_errors(client, auth):
    auth.signup_and_login()
    response = client.post("/auth/account/tokens", data={"name": "", "scope": "write", "expires_in_days": "30"})
    assert response.status_code == 400
    response = client.post("/auth/account/tokens", data={"name": "x", "scope": "root", "expires_in_days": "30"})
    assert response.status_code == 400


def test_too_many_tokens(client, auth, app, monkeypatch):
    auth.signup_and_login()
    monkeypatch.setattr(tokens, "MAX_TOKENS_PER_USER", 2)
    for name in ("a", "b"):
        assert client.post("/api/v1/tokens", json={"name": name}).status_code == 201
    assert "revoke one" in problem(client.post("/api/v1/tokens", json={"name": "c"}), 400)["detail"]


def test_csrf_is_waived_for_token_requests_only(csrf_client, csrf_app):
    page = csrf_client.get("/auth/register").get_data(as_text=True)
    csrf_client.post("/auth/register", data={"username": "carol", "email": "carol@example.com", "password": PASSWORD,
                                             "confirm": PASSWORD, "csrf_token": csrf_token_from(page)})
    csrf = csrf_token_from(csrf_client.get("/auth/account").get_data(as_text=True))
    # Cookie requests: no CSRF token, no token.
    problem(csrf_client.post("/api/v1/tokens", json={"name": "x"}), 400)
    problem(upload(csrf_client), 400)
    made = csrf_client.post("/api/v1/tokens", json={"name": "x", "scopes": ["write"]}, headers={"X-CSRFToken": csrf})
    assert made.status_code == 201
    secret = made.get_json()["token"]
    # Token requests need no CSRF token, with or without the cookie.
    assert upload(csrf_client, bearer(secret)).status_code == 200
    assert upload(csrf_app.test_client(), bearer(secret)).status_code == 200
    # The page forms still need theirs, whatever Authorization header comes with them.
    response = csrf_client.post("/auth/account/tokens", data={"name": "y", "scope": "read", "expires_in_days": "30"},
                                headers=bearer(secret))
    assert response.status_code == 400
    with csrf_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Analysis)) == 2
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_tokens_create_command_prints_a_working_token(app, auth, client):
    auth.signup_and_login("dora")
    result = app.test_cli_runner().invoke(args=["tokens", "create", "dora", "--name", "cron", "--scope", "write"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert upload(app.test_client(), bearer(secret)).status_code == 200
    result = app.test_cli_runner().invoke(args=["tokens", "create", "nobody", "--name", "x"])
    assert result.exit_code != 0 and "No account" in result.output
