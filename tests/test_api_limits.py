"""Limits of the JSON API per access token, per account and per client address, the
RateLimit-* and Retry-After headers, and the shared count in Redis when one is configured."""
import os
import socket
import uuid

import pytest

from tests.conftest import bearer, make_token

V1 = "/api/v1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def limited_app(make_app, **limits):
    settings = {"API_LIMIT_PER_TOKEN": "1000 per minute", "API_LIMIT_PER_USER": "1000 per minute",
                "API_LIMIT_PER_ADDRESS": "1000 per minute"}
    settings.update(limits)
    return make_app(**settings)


def signup(app, username):
    client = app.test_client()
    client.post("/auth/register", data={"username": username, "email": f"{username}@example.com",
                                        "password": "correct horse battery", "confirm": "correct horse battery"})
    from sqlalchemy import select

    from app.extensions import db
    from app.models import User

    with app.app_context():
        return client, db.session.scalar(select(User.id).filter_by(username=username))


def assert_refused(response):
    assert response.status_code == 429
    assert response.mimetype == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["RateLimit-Remaining"] == "0"


def test_per_token_limit_with_headers(make_app):
    app = limited_app(make_app, API_LIMIT_PER_TOKEN="3 per minute")
    _, user_id = signup(app, "alice")
    first, second = make_token(app, user_id), make_token(app, user_id)
    client = app.test_client()
    for remaining in ("2", "1", "0"):
        response = client.get(f"{V1}/analyses", headers=bearer(first))
        assert response.status_code == 200
        assert response.headers["RateLimit-Limit"] == "3"
        assert response.headers["RateLimit-Remaining"] == remaining
        assert 0 <= int(response.headers["RateLimit-Reset"]) <= 61  # seconds (rounded up), not a Unix time
        assert "Retry-After" not in response.headers
    assert_refused(client.get(f"{V1}/analyses", headers=bearer(first)))
    # Another token of the same account has its own count.
    assert client.get(f"{V1}/analyses", headers=bearer(second)).status_code == 200


def test_per_account_limit_covers_all_its_tokens_and_its_session(make_app):
    app = limited_app(make_app, API_LIMIT_PER_USER="4 per minute")
    session_client, user_id = signup(app, "alice")
    tokens = [make_token(app, user_id) for _ in range(2)]
    client = app.test_client()
    for token in tokens:
        assert client.get(f"{V1}/stats", headers=bearer(token)).status_code == 200
    assert session_client.get(f"{V1}/stats").status_code == 200
    assert client.get("/api/analyses/1", headers=bearer(tokens[0])).status_code == 404  # older address, same count
    assert_refused(client.get(f"{V1}/stats", headers=bearer(tokens[1])))
    assert_refused(session_client.get(f"{V1}/stats"))
    _, bob_id = signup(app, "bob")
    assert client.get(f"{V1}/stats", headers=bearer(make_token(app, bob_id))).status_code == 200


def test_per_address_limit_counts_anonymous_and_token_requests(make_app):
    app = limited_app(make_app, API_LIMIT_PER_ADDRESS="3 per minute")
    _, user_id = signup(app, "alice")
    client = app.test_client()
    assert client.get(f"{V1}/analyses").status_code == 401
    assert client.get(f"{V1}/analyses", headers=bearer(make_token(app, user_id))).status_code == 200
    assert client.get(f"{V1}/analyses").status_code == 401
    assert_refused(client.get(f"{V1}/analyses"))
    elsewhere = app.test_client()
    assert elsewhere.get(f"{V1}/analyses", environ_base={"REMOTE_ADDR": "10.9.8.7"}).status_code == 401


def test_pages_and_webcam_frames_are_outside_the_api_limits(make_app):
    app = limited_app(make_app, API_LIMIT_PER_TOKEN="1 per minute", API_LIMIT_PER_USER="1 per minute",
                      API_LIMIT_PER_ADDRESS="1 per minute")
    client, user_id = signup(app, "alice")
    for _ in range(3):
        assert client.get("/dashboard/").status_code == 200
        assert "RateLimit-Limit" not in client.get("/dashboard/").headers
    token = make_token(app, user_id)
    session_id = client.post(f"{V1}/webcam/sessions", headers=bearer(token)).get_json()["id"]
    for _ in range(3):  # the frame call has its own (per-second) limit
        response = client.post(f"{V1}/webcam/sessions/{session_id}/frames",
                               headers={**bearer(token), "Content-Type": "image/jpeg"}, data=b"x")
        assert response.status_code == 400


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_two_workers_share_the_count_in_redis(make_app):
    """Two apps (as two gunicorn workers) with RATELIMIT_STORAGE_URI on one Redis: one count."""
    settings = dict(API_LIMIT_PER_TOKEN="3 per minute", RATELIMIT_STORAGE_URI=REDIS_URL,
                    RATELIMIT_KEY_PREFIX=f"moodlens-test-{uuid.uuid4().hex}")
    first, second = limited_app(make_app, **settings), limited_app(make_app, **settings)
    from app.extensions import limiter

    assert "redis" in type(limiter.storage).__name__.lower()
    _, user_id = signup(second, "alice")  # both apps use the one test database
    token = make_token(second, user_id)
    workers = [first.test_client(), second.test_client(), first.test_client()]
    responses = [worker.get(f"{V1}/analyses", headers=bearer(token)) for worker in workers]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.headers["RateLimit-Remaining"] for r in responses] == ["2", "1", "0"]
    assert_refused(second.test_client().get(f"{V1}/analyses", headers=bearer(token)))
