"""Sessions that end on the server, look-alike accounts, and login limits that hold exactly
across workers (several app instances sharing one database, and Redis for per-address limits)."""
import re
import threading
import unicodedata
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.auth import service
from app.extensions import db
from app.models import LoginFailure, User, UserSession
from tests.conftest import AuthActions

PASSWORD = "correct horse battery"


def users(app) -> list[tuple[str, str]]:
    with app.app_context():
        return db.session.execute(select(User.username, User.email).order_by(User.id)).all()


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def client_with(app, **cookies):
    """A fresh browser holding only copies of the given cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def logged_in(client) -> bool:
    return client.get("/dashboard/").status_code == 200


# --- sessions -------------------------------------------------------------------------------

def test_a_copied_session_cookie_dies_at_logout(app, client, auth):
    auth.register()
    copy = client_with(app, session=cookie(client, "session"))
    assert logged_in(copy)
    auth.logout()
    assert not logged_in(copy)
    assert not logged_in(client)


def test_logging_out_one_browser_keeps_the_others(app, auth):
    auth.register()
    auth.logout()
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).login()
    AuthActions(phone).login()
    AuthActions(laptop).logout()
    assert logged_in(phone) and not logged_in(laptop)


def test_remember_me_cookie_is_new_at_each_login_and_dies_with_the_password(app, client, auth):
    auth.register()
    auth.logout()
    tokens = []
    for _ in range(2):
        response = client.post("/auth/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
        assert response.status_code == 302
        header = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
        assert "HttpOnly" in header and "SameSite=Lax" in header
        tokens.append(cookie(client, "remember_token"))
        auth.logout()
    assert tokens[0] != tokens[1]
    # Logging out ended the first login: its remember-me cookie alone no longer logs in.
    assert not logged_in(client_with(app, remember_token=tokens[0]))

    client.post("/auth/login", data={"username": "alice", "password": PASSWORD, "remember": "y"})
    stolen = cookie(client, "remember_token")
    assert logged_in(client_with(app, remember_token=stolen))
    response = client.post(
        "/auth/account/password",
        data={"current_password": PASSWORD, "new_password": "a new password", "confirm": "a new password"},
    )
    assert response.status_code == 302
    assert not logged_in(client_with(app, remember_token=stolen))
    assert logged_in(client)  # the browser that changed the password stays logged in


def test_password_change_ends_every_other_session(app, client, auth):
    auth.register()
    other = app.test_client()
    AuthActions(other).login()
    copy = client_with(app, session=cookie(client, "session"))
    assert logged_in(other) and logged_in(copy)
    client.post(
        "/auth/account/password",
        data={"current_password": PASSWORD, "new_password": "a new password", "confirm": "a new password"},
    )
    assert logged_in(client)
    assert not logged_in(other)
    assert not logged_in(copy)


def test_sessions_expire_on_the_server(app, client, auth):
    auth.register()
    assert app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
    with app.app_context():
        db.session.execute(update(UserSession).values(expires_at=UserSession.created_at - timedelta(seconds=1)))
        db.session.commit()
    assert not logged_in(client)


def test_a_forged_session_id_is_not_a_user_id(app, client, auth):
    auth.register()
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # what the cookie used to hold
    assert not logged_in(client)


# --- look-alike accounts -----------------------------------------------------------------------

def test_email_in_nfc_and_nfd_is_one_account(app, client, auth):
    nfc = unicodedata.normalize("NFC", "josé@example.com")
    nfd = unicodedata.normalize("NFD", "josé@example.com")
    assert nfc != nfd
    assert auth.register(username="jose", email=nfc).status_code == 302
    auth.logout()
    response = auth.register(username="other", email=nfd.upper())
    assert response.status_code == 400
    assert "An account with this email already exists." in response.get_data(as_text=True)
    assert len(users(app)) == 1
    assert auth.login(username=nfd).status_code == 302


def test_database_refuses_look_alikes_even_without_the_check(app, monkeypatch):
    """A registration that loses the race (the check saw nothing) gets "taken", not a 500."""
    with app.app_context():
        service.register_user("bbRaceX", "first@example.com", PASSWORD)
    real = service.taken_field
    calls = []

    def blind_first_time(*keys):
        calls.append(keys)
        return None if len(calls) == 1 else real(*keys)

    monkeypatch.setattr(service, "taken_field", blind_first_time)
    client = app.test_client()
    response = AuthActions(client).register(username="BBRACEX", email="second@example.com")
    assert response.status_code == 400
    assert "This username is already taken." in response.get_data(as_text=True)
    assert users(app) == [("bbRaceX", "first@example.com")]


def test_simultaneous_registrations_make_one_account(make_app):
    """Real threads, each its own browser, against the test database (SQLite file or PostgreSQL)."""
    app = make_app(REGISTER_LIMIT_PER_IP="1000 per minute")
    names = ["bbRaceX", "BBRACEX", "bbracex", "BbRaceX", "bbRACEx", "BBracex"]
    barrier = threading.Barrier(len(names))
    statuses, pages = [], []

    def register(name):
        client = app.test_client()
        barrier.wait()
        response = AuthActions(client).register(username=name, email=f"{name}{uuid.uuid4().hex[:6]}@example.com")
        statuses.append(response.status_code)
        pages.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=register, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302] + [400] * (len(names) - 1)
    assert sum("This username is already taken." in page for page in pages) == len(names) - 1
    assert len(users(app)) == 1


# --- login limits ------------------------------------------------------------------------------

def attempt(client, username, password="wrong password"):
    return client.post("/auth/login", data={"username": username, "password": password}).status_code


def test_guesses_by_username_and_email_count_against_one_account(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="4 per minute", LOGIN_LIMIT_PER_IP="1000 per minute")
    client = app.test_client()
    AuthActions(client).register()
    AuthActions(client).logout()
    logins = ["alice", "ALICE@example.com", "Alice", "alice@EXAMPLE.com", "alice", "alice@example.com"]
    assert [attempt(client, login) for login in logins] == [401] * 4 + [429] * 2
    assert attempt(client, "alice", PASSWORD) == 429


def without_tokens(response) -> str:
    return re.sub(r'(content|value)="[^"]{40,}"', "", response.get_data(as_text=True))


def test_unknown_and_known_accounts_lock_alike(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_IP="1000 per minute")
    client = app.test_client()
    AuthActions(client).register()
    AuthActions(client).logout()
    known = [client.post("/auth/login", data={"username": "alice", "password": "nope nope"}) for _ in range(4)]
    unknown = [client.post("/auth/login", data={"username": "nobody", "password": "nope nope"}) for _ in range(4)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401, 401, 401, 429]
    assert without_tokens(known[-1]) == without_tokens(unknown[-1])
    assert "Too many attempts. Wait a minute and try again." in known[-1].get_data(as_text=True)
    assert not any("RateLimit" in h and "account" in v for r in known for h, v in r.headers.items())


def test_a_successful_login_resets_the_count(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_IP="1000 per minute")
    client = app.test_client()
    AuthActions(client).register()
    AuthActions(client).logout()
    assert [attempt(client, "alice") for _ in range(2)] == [401, 401]
    assert attempt(client, "alice", PASSWORD) == 302
    AuthActions(client).logout()
    assert [attempt(client, "alice") for _ in range(3)] == [401, 401, 401]
    assert attempt(client, "alice") == 429


def test_unknown_accounts_cost_a_password_check_too(app, client, auth, monkeypatch):
    checks = []
    real = service.check_password_hash
    monkeypatch.setattr(service, "check_password_hash", lambda *a: checks.append(a) or real(*a))
    assert auth.login(username="nobody").status_code == 401
    assert len(checks) == 1


def test_account_lockout_is_exact_across_instances_sharing_a_database(make_app):
    """Two app instances (two workers) on one database, 24 simultaneous guesses: exactly 5 checked."""
    first = make_app(LOGIN_LIMIT_PER_ACCOUNT="5 per minute", LOGIN_LIMIT_PER_IP="1000 per minute")
    second = make_app(LOGIN_LIMIT_PER_ACCOUNT="5 per minute", LOGIN_LIMIT_PER_IP="1000 per minute")
    with first.app_context():
        service.register_user("alice", "alice@example.com", PASSWORD)
    statuses = []
    barrier = threading.Barrier(24)

    def guess(index):
        client = (first if index % 2 else second).test_client()
        login = "alice" if index % 3 else "alice@example.com"
        barrier.wait()
        statuses.append(attempt(client, login))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 19
    with first.app_context():
        assert db.session.scalar(select(func.max(LoginFailure.failures))) == 24


def redis_url() -> str:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    return url


def test_per_address_limit_is_shared_through_redis(make_app):
    url = redis_url()
    prefix = f"test-{uuid.uuid4().hex}"
    settings = dict(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix,
                    LOGIN_LIMIT_PER_IP="6 per minute", LOGIN_LIMIT_PER_ACCOUNT="1000 per minute")
    first, second = make_app(**settings), make_app(**settings)
    clients = [first.test_client(), second.test_client()]
    statuses = [attempt(clients[i % 2], f"user{i}") for i in range(10)]
    assert statuses == [401] * 6 + [429] * 4


def test_registration_is_throttled_per_address(make_app):
    app = make_app(REGISTER_LIMIT_PER_IP="2 per minute")
    statuses = [AuthActions(app.test_client()).register(username=f"user{i}").status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert len(users(app)) == 2
