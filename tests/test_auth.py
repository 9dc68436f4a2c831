from sqlalchemy import func, select

from app.extensions import db
from app.models import Analysis, FaceResult, User


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_register_logs_in_and_hashes_password(client, auth, app):
    response = auth.register()
    assert response.status_code == 302
    assert response.headers["Location"] == "/analyze"
    assert client.get("/analyze").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username="alice"))
        assert user.password_hash != "correct horse battery"
        assert user.check_password("correct horse battery")


def test_register_rejects_duplicate_username_and_email(client, auth, app):
    auth.register()
    auth.logout()
    response = auth.register(username="ALICE", email="other@example.com")
    assert response.status_code == 400
    assert "This username is already taken." in response.get_data(as_text=True)
    response = auth.register(username="bob", email="Alice@Example.com")
    assert response.status_code == 400
    assert "An account with this email already exists." in response.get_data(as_text=True)
    assert count(app, User) == 1


def test_register_rejects_bad_passwords_and_fields(client, app):
    too_short = {"username": "bob", "email": "bob@example.com", "password": "short", "confirm": "short"}
    response = client.post("/auth/register", data=too_short)
    assert response.status_code == 400
    assert "Use 8 to 128 characters." in response.get_data(as_text=True)

    mismatch = dict(too_short, password="long enough 1", confirm="long enough 2")
    assert "Passwords do not match." in client.post("/auth/register", data=mismatch).get_data(as_text=True)

    bad_name = dict(too_short, username="no spaces!", password="long enough", confirm="long enough")
    assert client.post("/auth/register", data=bad_name).status_code == 400
    bad_email = dict(too_short, email="not-an-email", password="long enough", confirm="long enough")
    assert client.post("/auth/register", data=bad_email).status_code == 400
    assert count(app, User) == 0


def test_login_with_username_or_email_and_wrong_password(client, auth):
    auth.register()
    auth.logout()
    response = auth.login(password="wrong password")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/analyze").status_code == 302

    assert auth.login(username="ALICE@example.com").status_code == 302
    assert client.get("/analyze").status_code == 200


def test_unknown_user_gets_the_same_message(auth):
    response = auth.login(username="nobody")
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)


def test_next_redirects_only_within_the_site(client, auth):
    auth.register()
    auth.logout()
    assert auth.login(next="/dashboard/?bucket=week").headers["Location"] == "/dashboard/?bucket=week"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"):
        auth.logout()
        assert auth.login(next=evil).headers["Location"] == "/analyze", evil


def test_protected_page_redirects_to_login_with_next(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=/dashboard/")


def test_logout_is_post_only(client, auth):
    auth.register()
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/analyze").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/analyze").status_code == 302


def test_login_is_throttled_per_account(make_app):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT="3 per minute", LOGIN_LIMIT_PER_IP="100 per minute")
    client = app.test_client()
    from tests.conftest import AuthActions

    auth = AuthActions(client)
    auth.register()
    auth.logout()
    for _ in range(3):
        assert auth.login(password="wrong password").status_code == 401
    # Even the right password is refused now: the account is locked for the window.
    response = auth.login()
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from the same address is not affected.
    assert auth.login(username="someone-else", password="whatever pw").status_code == 401


def test_login_is_throttled_per_ip(make_app):
    app = make_app(LOGIN_LIMIT_PER_IP="4 per minute", LOGIN_LIMIT_PER_ACCOUNT="100 per minute")
    client = app.test_client()
    for attempt in range(4):
        response = client.post("/auth/login", data={"username": f"user{attempt}", "password": "x" * 10})
        assert response.status_code == 401
    assert client.post("/auth/login", data={"username": "fresh", "password": "x" * 10}).status_code == 429
    other_ip = app.test_client()
    response = other_ip.post(
        "/auth/login", data={"username": "fresh", "password": "x" * 10}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert response.status_code == 401


def test_session_cookie_flags(client, auth):
    response = auth.register()
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_change_password(client, auth):
    auth.register()
    response = client.post(
        "/auth/account/password",
        data={"current_password": "wrong", "new_password": "a new password", "confirm": "a new password"},
    )
    assert response.status_code == 400
    assert "The current password is wrong." in response.get_data(as_text=True)
    response = client.post(
        "/auth/account/password",
        data={"current_password": "correct horse battery", "new_password": "a new password", "confirm": "a new password"},
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login().status_code == 401
    assert auth.login(password="a new password").status_code == 302


def test_delete_account_removes_all_data(client, auth, app):
    user_id = auth.signup_and_login()
    with app.app_context():
        analysis = Analysis(user_id=user_id, source="upload", filename="a.jpg", image_width=10, image_height=10)
        analysis.faces.append(
            FaceResult(x=1, y=1, w=5, h=5, label="happy", confidence=0.9,
                       angry=0.0, disgust=0.0, fear=0.0, happy=0.9, sad=0.0, surprise=0.05, neutral=0.05)
        )
        db.session.add(analysis)
        db.session.commit()
    assert client.post("/auth/account/delete", data={"password": "wrong"}).status_code == 400
    assert count(app, User) == 1

    response = client.post("/auth/account/delete", data={"password": "correct horse battery"})
    assert response.status_code == 302
    assert (count(app, User), count(app, Analysis), count(app, FaceResult)) == (0, 0, 0)
    assert client.get("/dashboard/").status_code == 302
