"""Configuration, secret key handling, database selection, migrations, health check."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from app import create_app
from app.config import ProductionConfig, cookie_security, normalise_database_url
from app.extensions import db
from tests.conftest import POSTGRES_SCHEMA, TEST_DATABASE_URL, settings_for_test


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_security_headers(client):
    headers = client.get("/").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_development_secret_key_is_created_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    settings = settings_for_test(tmp_path, SECRET_KEY=None, ENV_NAME="development")
    first = create_app(settings).config["SECRET_KEY"]
    second = create_app(settings).config["SECRET_KEY"]
    assert first and first == second
    assert (tmp_path / "instance" / "secret_key").read_text().strip() == first


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(settings_for_test(tmp_path, SECRET_KEY=None, ENV_NAME="production"))
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_cookies_are_secure_over_https_by_default(monkeypatch):
    # Secure on HTTPS requests; plain HTTP keeps working (tests/test_deployment.py).
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert cookie_security("auto") == "auto"
    assert ProductionConfig.SESSION_COOKIE_HTTPONLY is True
    assert ProductionConfig.SESSION_COOKIE_SAMESITE == "Lax"


@pytest.mark.parametrize(
    "given,expected",
    [
        ("postgres://u:p@host/db", "postgresql+psycopg://u:p@host/db"),
        ("postgresql://u@host:5432/db", "postgresql+psycopg://u@host:5432/db"),
        ("postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db"),
        ("sqlite:////data/app.db", "sqlite:////data/app.db"),
        ("", None),
    ],
)
def test_database_url_normalisation(given, expected):
    assert normalise_database_url(given) == expected


def test_default_database_is_sqlite_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(settings_for_test(tmp_path, SQLALCHEMY_DATABASE_URI=None, SQLALCHEMY_ENGINE_OPTIONS={}))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'instance' / 'app.db'}"
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.engine.dispose()


def test_migrations_build_the_same_schema_as_the_models(empty_database):
    """`flask db upgrade` on an empty database (SQLite, or PostgreSQL in CI) matches the models."""
    upgrade(directory="migrations")
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "analyses", "face_results", "webcam_sessions", "alembic_version"} <= tables
    index_names = {ix["name"] for ix in inspect(db.engine).get_indexes("analyses")}
    assert "ix_analyses_user_id_created_at" in index_names
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="runs in the PostgreSQL pass (TEST_DATABASE_URL set)")
def test_postgresql_is_really_used(app):
    with app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert db.engine.driver == "psycopg"
        assert db.session.execute(text("SELECT current_schema()")).scalar() == POSTGRES_SCHEMA


def test_healthz_reports_an_unreachable_database(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    broken = create_app(settings_for_test(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/x.db",
                                          SQLALCHEMY_ENGINE_OPTIONS={}))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_analyze_command_prints_faces_as_json(app, tmp_path):
    import json

    from tests import images

    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(images.astronaut_jpeg())
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a picture")
    result = app.test_cli_runner().invoke(args=["analyze", str(photo), str(junk)])
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.strip().splitlines())
    assert [face["label"] for face in first["faces"]] == ["happy"]
    assert "error" in second


def test_web_workers_leave_out_the_migration_tool(tmp_path):
    """gunicorn's workers build the app without `flask db`, so they never import Alembic (12 MB
    each); the command line app keeps it."""
    import os
    import subprocess
    import sys

    script = ("import sys; from app import create_app; "
              "worker = create_app(migration_commands=False); "
              "print('db' in worker.cli.commands, 'alembic' in sys.modules); "
              "cli = create_app(); print('db' in cli.cli.commands)")
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/app.db"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]


def test_web_workers_load_the_video_queue_only_when_a_video_needs_it(tmp_path):
    """The queue library's storage module pulls in the Redis and PostgreSQL clients (16 MB per
    worker); a web worker on SQLite serving photos and webcam frames never needs them."""
    import os
    import subprocess
    import sys

    script = ("import sys; from app import create_app; "
              "worker = create_app(migration_commands=False); "
              "print(*(name in sys.modules for name in ('huey', 'redis', 'psycopg'))); "
              "from app.video.queue import get_queue; get_queue(None, sys.argv[1]); print('huey' in sys.modules)")
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/app.db"}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "True"]


def test_gunicorn_builds_workers_without_migration_commands():
    import ast
    from pathlib import Path

    settings = ast.parse(Path(__file__).resolve().parents[1].joinpath("gunicorn.conf.py").read_text())
    [wsgi_app] = [node.value.value for node in settings.body if isinstance(node, ast.Assign)
                  and getattr(node.targets[0], "id", None) == "wsgi_app"]
    assert wsgi_app == "app:create_app(migration_commands=False)"
