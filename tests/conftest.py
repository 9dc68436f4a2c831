"""Fixtures for the web app tests: `app`, `client`, `auth`, and a CSRF-enabled variant.

Every test gets a fresh database: a temporary SQLite file, or, when TEST_DATABASE_URL is set
(CI does this), the given PostgreSQL database with all tables dropped and created again. On
PostgreSQL each test process works in its own schema, so two test runs sharing one database
(two developers, or pytest-xdist) cannot drop each other's tables.
"""
import os
import re

import pytest
from sqlalchemy import create_engine, text

from app import create_app
from app.config import TestConfig, normalise_database_url
from app.extensions import db

TEST_DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL"))
POSTGRES_SCHEMA = f"pytest_{os.getpid()}" if TEST_DATABASE_URL else None


def settings_for_test(tmp_path, **overrides) -> dict:
    settings = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    settings["SQLALCHEMY_DATABASE_URI"] = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"
    if POSTGRES_SCHEMA:
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "connect_args": {"options": f"-csearch_path={POSTGRES_SCHEMA}"}
        }
    settings.update(overrides)
    return settings


@pytest.fixture(scope="session", autouse=True)
def postgres_schema():
    """Create this process's schema on PostgreSQL for the session, and drop it afterwards."""
    if not POSTGRES_SCHEMA:
        yield None
        return
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {POSTGRES_SCHEMA}"))
    yield POSTGRES_SCHEMA
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {POSTGRES_SCHEMA} CASCADE"))
    engine.dispose()


@pytest.fixture
def make_app(tmp_path, monkeypatch):
    """Build an app with a fresh, empty schema; keyword arguments override config values."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    apps = []

    def factory(**overrides):
        app = create_app(settings_for_test(tmp_path, **overrides))
        with app.app_context():
            db.drop_all()
            db.create_all()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            if TEST_DATABASE_URL:
                db.drop_all()
            db.engine.dispose()


@pytest.fixture
def empty_database(tmp_path, monkeypatch):
    """An app whose database holds no tables at all (not even alembic_version), for tests that
    run the migrations themselves; yielded inside its app context. Afterwards every table the
    models or the migrations may have made is dropped."""
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(settings_for_test(tmp_path))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        try:
            yield app
        finally:
            db.session.rollback()
            db.drop_all()
            with db.engine.begin() as connection:
                for table in ("upload_keys", "video_thumbnails", "video_chunks", "audit_log", "api_tokens", "deleted_items",
                              "analysis_photos", "user_sessions",
                              "login_failures", "alembic_version"):
                    connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def register(self, username="alice", email=None, password="correct horse battery"):
        return self.client.post(
            "/auth/register",
            data={
                "username": username,
                "email": email or f"{username}@example.com",
                "password": password,
                "confirm": password,
            },
        )

    def login(self, username="alice", password="correct horse battery", **query):
        return self.client.post("/auth/login", query_string=query, data={"username": username, "password": password})

    def logout(self):
        return self.client.post("/auth/logout")

    def signup_and_login(self, username="alice", password="correct horse battery"):
        """Register (which logs in) and return the new user's id."""
        response = self.register(username=username, password=password)
        assert response.status_code == 302, response.get_data(as_text=True)
        from app.models import User

        with self.client.application.app_context():
            return db.session.execute(db.select(User.id).filter_by(username=username)).scalar_one()


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def csrf_client(csrf_app):
    return csrf_app.test_client()


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token in page"
    return match.group(1)


def make_token(app, user_id: int, scopes=("read", "write"), name: str = "test", expires_in_days=None) -> str:
    """A personal access token of the user (its secret), made through the token service."""
    from app.auth import tokens
    from app.models import User

    with app.app_context():
        made = tokens.create_token(db.session.get(User, user_id), name, list(scopes), expires_in_days)
        return made.secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}
