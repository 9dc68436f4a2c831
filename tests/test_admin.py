"""The admin console: who may see it (admins; everyone else gets 404), what it shows (counts and
account facts, never pictures, faces, scores or file names), disable / enable / delete with the
audit log, the figures of the whole instance, and the create-admin command."""
import io

import pytest
from sqlalchemy import func, select

from app.admin import service
from app.extensions import db
from app.models import Analysis, AuditEntry, User
from tests import images
from tests.conftest import bearer, make_token

PASSWORD = "correct horse battery"
ADMIN_URLS = ["/admin", "/admin/", "/admin/?q=a&page=2", "/admin/users/1/disable", "/admin/users/1/enable",
              "/admin/users/1/delete"]


def make_admin(app, username="root"):
    with app.app_context():
        user = db.session.scalar(select(User).filter_by(username=username))
        service.promote(user, actor=None)


def upload(client, name="secret-holiday.jpg"):
    response = client.post("/api/v1/analyses", content_type="multipart/form-data",
                           data={"image": (io.BytesIO(images.astronaut_jpeg()), name, "image/jpeg")})
    assert response.status_code == 200
    return response.get_json()["results"][0]


def test_admin_urls_are_404_for_visitors_and_ordinary_users(client, auth):
    for url in ADMIN_URLS:
        method = client.post if "/users/" in url else client.get
        assert method(url).status_code == 404, url
    auth.signup_and_login("mallory")
    for url in ADMIN_URLS:
        method = client.post if "/users/" in url else client.get
        assert method(url).status_code == 404, url
    assert "/admin" not in client.get("/dashboard/").get_data(as_text=True)
    for url in ("/admin/users/1/disable", "/admin/nothing", "/admin/users/x"):  # wrong method, no such page
        assert client.get(url).status_code == 404
        assert client.delete(url).status_code == 404


def test_admin_sees_counts_but_never_pictures_faces_or_scores(client, auth, app):
    alice_id = auth.signup_and_login("alice")
    result = upload(client)
    client.post("/settings/photos", data={"keep_photos": "on"})
    upload(client, "kept.jpg")
    make_token(app, alice_id)
    auth.logout()
    auth.signup_and_login("root")
    make_admin(app)
    assert client.get("/admin").status_code == 200
    page = client.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-username="alice"' in html and "alice@example.com" in html
    row = html[html.index('data-username="alice"'):].split("</tr>")[0]
    cells = [cell.split(">", 1)[1].split("<")[0] for cell in row.split("<td")[1:]]
    assert cells[3:6] == ["2", "0", "1"]  # analyses, webcam seconds, tokens
    for private in ("secret-holiday", "kept.jpg", "photo.jpg", f"/analyses/{result['id']}", "base64",
                    f"{result['faces'][0]['confidence']:.3f}"[:5]):
        assert private not in html, private
    # ...and no route lets an admin read another user's analysis.
    assert client.get(f"/analyses/{result['id']}").status_code == 404
    assert client.get(f"/analyses/{result['id']}/photo.jpg").status_code == 404
    assert client.get(f"/api/v1/analyses/{result['id']}").status_code == 404
    assert client.get("/api/v1/analyses").get_json()["total"] == 0


def test_figures_of_the_instance(client, auth, app):
    auth.signup_and_login("alice")
    upload(client)
    auth.logout()
    auth.signup_and_login("root")
    make_admin(app)
    with app.app_context():
        figures = service.figures()
    assert figures["accounts"] == 2 and figures["admins"] == 1 and figures["analyses"] == 1
    assert sum(figures["faces"].values()) >= 1
    assert sum(count for _, count in figures["per_day"]) == 1 and len(figures["per_day"]) == 30
    assert figures["database_bytes"] is None or figures["database_bytes"] > 0
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="figure-accounts">2<' in html and 'id="figure-analyses">1<' in html


def test_search_and_paging(client, auth, app, monkeypatch):
    for name in ("ann", "anna", "bert", "carla"):
        auth.signup_and_login(name)
        auth.logout()
    auth.signup_and_login("root")
    make_admin(app)
    html = client.get("/admin/?q=ANN").get_data(as_text=True)
    assert 'data-username="ann"' in html and 'data-username="anna"' in html and 'data-username="bert"' not in html
    assert 'data-username="bert"' not in client.get("/admin/?q=%25").get_data(as_text=True)
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    with app.app_context():
        first, last = service.list_accounts("", 1, 2), service.list_accounts("", 3, 2)
    assert first.pages == 3 and first.total == 5 and [r.username for r in last.rows] == ["ann"]
    for page in ("0", "-1", "x", "99999999999", "3"):
        assert client.get(f"/admin/?page={page}").status_code == 200


def test_disable_stops_sessions_and_tokens_at_once_and_enable_restores_login(client, auth, app):
    victim_id = auth.signup_and_login("victim")
    secret = make_token(app, victim_id)
    victim = app.test_client()  # the victim logged in elsewhere
    assert victim.post("/auth/login", data={"username": "victim", "password": PASSWORD}).status_code == 302
    assert victim.get("/dashboard/").status_code == 200
    auth.logout()
    auth.signup_and_login("root")
    make_admin(app)
    assert client.post(f"/admin/users/{victim_id}/disable").status_code == 302
    assert victim.get("/dashboard/").status_code == 302  # back to the login page
    assert victim.get("/api/v1/analyses").status_code == 401
    assert app.test_client().get("/api/v1/analyses", headers=bearer(secret)).status_code == 401
    refused = app.test_client().post("/auth/login", data={"username": "victim", "password": PASSWORD})
    assert refused.status_code == 403 and "disabled" in refused.get_data(as_text=True)
    wrong = app.test_client().post("/auth/login", data={"username": "victim", "password": "wrong password"})
    assert wrong.status_code == 401 and "disabled" not in wrong.get_data(as_text=True)
    assert "disabled" in client.get("/admin/").get_data(as_text=True)

    assert client.post(f"/admin/users/{victim_id}/enable").status_code == 302
    assert app.test_client().post("/auth/login", data={"username": "victim", "password": PASSWORD}).status_code == 302
    assert app.test_client().get("/api/v1/analyses", headers=bearer(secret)).status_code == 200
    with app.app_context():
        actions = db.session.execute(select(AuditEntry.actor_name, AuditEntry.action, AuditEntry.target_name)
                                     .order_by(AuditEntry.id)).all()
    assert actions == [("(command line)", "promote", "root"), ("root", "disable", "victim"),
                       ("root", "enable", "victim")]
    html = client.get("/admin/").get_data(as_text=True)
    assert "audit-table" in html and html.count("victim") >= 3


def test_delete_removes_the_account_and_its_data_and_is_logged(client, auth, app):
    auth.signup_and_login("gone")
    upload(client)
    auth.logout()
    root_id = auth.signup_and_login("root")
    make_admin(app)
    with app.app_context():
        gone_id = db.session.scalar(select(User.id).filter_by(username="gone"))
    assert client.post(f"/admin/users/{gone_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(User, gone_id) is None
        assert db.session.scalar(select(func.count()).select_from(Analysis)) == 0
        entry = db.session.scalar(select(AuditEntry).filter_by(action="delete"))
        assert (entry.actor_id, entry.target_id, entry.target_name) == (root_id, None, "gone")
        assert "1 analyses" in entry.detail
    assert client.post(f"/admin/users/{gone_id}/delete").status_code == 404


def test_admin_cannot_disable_or_delete_itself(client, auth, app):
    root_id = auth.signup_and_login("root")
    make_admin(app)
    for action in ("disable", "delete"):
        response = client.post(f"/admin/users/{root_id}/{action}", follow_redirects=True)
        assert "cannot" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, root_id)
        assert user is not None and not user.disabled


def test_admin_urls_are_404_without_a_form_token_too(csrf_client, csrf_app):
    """With CSRF on, a visitor's or user's POST to the console is 404, not a 400 that would
    reveal it."""
    from tests.conftest import csrf_token_from

    assert csrf_client.post("/admin/users/1/disable").status_code == 404
    page = csrf_client.get("/auth/register").get_data(as_text=True)
    csrf_client.post("/auth/register", data={"username": "eve", "email": "eve@example.com", "password": PASSWORD,
                                             "confirm": PASSWORD, "csrf_token": csrf_token_from(page)})
    for url in ADMIN_URLS[3:]:
        assert csrf_client.post(url).status_code == 404
    assert csrf_client.get("/admin/").status_code == 404


def test_admin_actions_need_the_csrf_token(csrf_client, csrf_app):
    from tests.conftest import csrf_token_from

    page = csrf_client.get("/auth/register").get_data(as_text=True)
    csrf_client.post("/auth/register", data={"username": "root", "email": "root@example.com", "password": PASSWORD,
                                             "confirm": PASSWORD, "csrf_token": csrf_token_from(page)})
    other = csrf_app.test_client()
    page = other.get("/auth/register").get_data(as_text=True)
    other.post("/auth/register", data={"username": "bob", "email": "bob@example.com", "password": PASSWORD,
                                       "confirm": PASSWORD, "csrf_token": csrf_token_from(page)})
    make_admin(csrf_app)
    with csrf_app.app_context():
        bob_id = db.session.scalar(select(User.id).filter_by(username="bob"))
    assert csrf_client.post(f"/admin/users/{bob_id}/disable").status_code == 400
    with csrf_app.app_context():
        assert not db.session.get(User, bob_id).disabled


def test_create_admin_command(app, auth, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "ops", "--email", "ops@example.com"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert client.post("/auth/login", data={"username": "ops", "password": PASSWORD}).status_code == 302
    assert client.get("/admin/").status_code == 200
    auth.logout()
    auth.signup_and_login("later")
    assert client.get("/admin/").status_code == 404
    result = runner.invoke(args=["create-admin", "later"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code != 0 and "--promote" in result.output
    assert runner.invoke(args=["create-admin", "later", "--promote"]).exit_code == 0
    assert client.get("/admin/").status_code == 200
    assert runner.invoke(args=["create-admin", "nobody", "--promote"]).exit_code != 0
    result = runner.invoke(args=["create-admin", "short"], input="short\nshort\n")
    assert result.exit_code != 0


@pytest.mark.parametrize("user_id", ["0", "2147483648", "abc"])
def test_odd_ids_are_404(client, auth, app, user_id):
    auth.signup_and_login("root")
    make_admin(app)
    assert client.post(f"/admin/users/{user_id}/disable").status_code == 404
