"""Password reset by e-mail, end to end through a real local SMTP server: the link arrives, sets
a new password once, within its time; the answer never tells whether an address has an account;
requests are limited; a reset ends every session and access token."""
import logging
import re
import time

import pytest
from datetime import timedelta

from sqlalchemy import func, select, update

from app.auth import reset
from app.extensions import db
from app.models import ApiToken, LoginFailure, User, UserSession
from tests.conftest import bearer, make_token
from tests.smtp import mail_settings, smtp_server

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def mailbox(make_app):
    with smtp_server() as (port, inbox):
        app = make_app(**mail_settings(port))
        yield app, app.test_client(), inbox


def register(client, name="alice"):
    client.post("/auth/register", data={"username": name, "email": f"{name}@example.com",
                                        "password": "correct horse battery", "confirm": "correct horse battery"},
                follow_redirects=True)
    client.post("/auth/logout", follow_redirects=True)


def link_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://\S+/auth/reset/\S+", body).group(0)


def test_forgot_password_through_smtp_to_a_new_password(mailbox):
    app, client, inbox = mailbox
    register(client)
    other = app.test_client()  # a second browser, logged in, with an access token
    other.post("/auth/login", data={"username": "alice", "password": "correct horse battery"})
    with app.app_context():
        user_id = db.session.scalar(select(User.id))
    token = make_token(app, user_id)
    assert client.get("/api/v1/analyses", headers=bearer(token)).status_code == 200

    login_page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/auth/forgot"' in login_page and "Forgot password?" in login_page
    answer = client.post("/auth/forgot", data={"email": "ALICE@example.com"}, follow_redirects=True)
    assert "If an account uses that address" in answer.get_data(as_text=True)
    message = inbox.wait_for(1)
    assert message["To"] == "alice@example.com" and "new Moodlens password" in message["Subject"]
    link = link_in(message)
    path = link.split("://", 1)[1].split("/", 1)[1]

    page = client.get("/" + path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    done = client.post("/" + path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/auth/login"

    # The new password works, the old one does not; everything opened before is closed.
    assert client.post("/auth/login", data={"username": "alice", "password": "correct horse battery"}).status_code == 401
    assert client.post("/auth/login", data={"username": "alice", "password": NEW_PASSWORD}).status_code == 302
    assert other.get("/dashboard/").status_code == 302
    assert client.get("/api/v1/analyses", headers=bearer(token)).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1  # the new login
    # The link worked once.
    client.post("/auth/logout")
    assert client.get("/" + path).status_code == 400
    reused = client.post("/" + path, data={"new_password": "another one here", "confirm": "another one here"})
    assert reused.status_code == 400 and "no longer works" in reused.get_data(as_text=True)


def test_the_answer_is_the_same_whether_or_not_the_address_exists(mailbox):
    app, client, inbox = mailbox
    register(client)
    known = client.post("/auth/forgot", data={"email": "alice@example.com"}, follow_redirects=True)
    unknown = client.post("/auth/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    scrub = lambda html: re.sub(r'(csrf[-_]token"? (?:content|value)=")[^"]+', r"\1", html)  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert scrub(known.get_data(as_text=True)) == scrub(unknown.get_data(as_text=True))
    inbox.wait_for(1)
    time.sleep(0.3)
    assert len(inbox.messages) == 1  # only the real account got mail


def test_links_expire_and_are_refused_when_tampered_or_for_another_account(app, client, monkeypatch):
    register(client)
    register(client, "bob")
    with app.app_context():
        alice = db.session.scalar(select(User).filter_by(username="alice"))
        token = reset.make_token(alice, app.config["SECRET_KEY"])
        assert reset.account_for_token(token, app.config["SECRET_KEY"], 1800).id == alice.id
        assert reset.account_for_token(token, "another-secret", 1800) is None
        assert reset.account_for_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), app.config["SECRET_KEY"], 1800) is None
        forged = reset.serializer("guess").dumps({"u": alice.id, "p": "0" * 32})
        assert reset.account_for_token(forged, app.config["SECRET_KEY"], 1800) is None
    from itsdangerous.timed import TimestampSigner

    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 29 * 60)
    with app.app_context():
        assert reset.account_for_token(token, app.config["SECRET_KEY"], 1800) is not None  # 29 minutes on
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 31 * 60)
    with app.app_context():
        assert reset.account_for_token(token, app.config["SECRET_KEY"], 1800) is None  # 31 minutes on
    path = f"/auth/reset/{token}"
    assert client.get(path).status_code == 400
    for bad in ("x", "a" * 600, "..", "%00"):
        assert client.get(f"/auth/reset/{bad}").status_code in (400, 404)


def test_requests_are_limited_per_address_and_per_account_silently(make_app):
    with smtp_server() as (port, inbox):
        app = make_app(RESET_LIMIT_PER_EMAIL="2 per hour", RESET_LIMIT_PER_ACCOUNT="3 per day",
                       RESET_LIMIT_PER_IP="100 per hour", **mail_settings(port))
        client = app.test_client()
        register(client)
        answers = {client.post("/auth/forgot", data={"email": "alice@example.com"}).status_code for _ in range(4)}
        assert answers == {302}  # the same answer, sent or not
        inbox.wait_for(2)
        # Another spelling of the same address is the same address.
        client.post("/auth/forgot", data={"email": "Alice@Example.COM"})
        time.sleep(0.5)
        assert len(inbox.messages) == 2
        # An hour later the address may ask again, but the account's daily limit leaves one more.
        with app.app_context():
            db.session.execute(update(LoginFailure).where(LoginFailure.key.like("reset-email:%"))
                               .values(window_start=LoginFailure.window_start - timedelta(hours=2)))
            db.session.commit()
        for _ in range(2):
            client.post("/auth/forgot", data={"email": "alice@example.com"})
        inbox.wait_for(3)
        time.sleep(0.5)
        assert len(inbox.messages) == 3


def test_per_client_address_limit_answers_429(make_app):
    app = make_app(RESET_LIMIT_PER_IP="2 per hour")
    client = app.test_client()
    statuses = [client.post("/auth/forgot", data={"email": f"x{i}@example.com"}).status_code for i in range(3)]
    assert statuses == [302, 302, 429]


def test_without_smtp_the_link_goes_to_the_server_log(app, client, caplog):
    register(client)
    with caplog.at_level(logging.WARNING, logger="moodlens.mail"):
        client.post("/auth/forgot", data={"email": "alice@example.com"})
    [record] = [r for r in caplog.records if r.name == "moodlens.mail"]
    link = re.search(r"http://\S+/auth/reset/\S+", record.getMessage()).group(0)
    assert client.get(link.split("localhost", 1)[1]).status_code == 200


def test_public_url_decides_the_links_host(make_app, caplog):
    app = make_app(PUBLIC_URL="https://moodlens.example.org")
    client = app.test_client()
    register(client)
    with caplog.at_level(logging.WARNING, logger="moodlens.mail"):
        client.post("/auth/forgot", data={"email": "alice@example.com"}, headers={"Host": "evil.example"})
    message = " ".join(r.getMessage() for r in caplog.records if r.name == "moodlens.mail")
    assert "https://moodlens.example.org/auth/reset/" in message and "evil.example" not in message


def test_a_disabled_account_gets_no_link(mailbox):
    app, client, inbox = mailbox
    register(client)
    with app.app_context():
        db.session.scalar(select(User)).disabled = True
        db.session.commit()
    assert client.post("/auth/forgot", data={"email": "alice@example.com"}).status_code == 302
    time.sleep(0.5)
    assert inbox.messages == []
