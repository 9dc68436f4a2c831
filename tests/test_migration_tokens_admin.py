"""The access-token and admin migration upgrades a database that already holds data, on SQLite
and (with TEST_DATABASE_URL) PostgreSQL, and can be undone."""
from datetime import datetime

from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.auth import service, tokens
from app.extensions import db
from app.models import User

PREVIOUS = "c7e8f9a0b1d2"
THIS = "d4e5f6a7b8c9"
PASSWORD = "correct horse battery"


def current_revision(connection) -> str:
    return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_keeps_accounts_and_data_and_adds_tokens_flags_and_audit_log(empty_database):
    upgrade(directory="migrations", revision=PREVIOUS)
    when = datetime(2026, 6, 1, 9, 30, 0)
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, email, password_hash, created_at, username_key, email_key, keep_photos) "
            "VALUES (1, 'old', 'old@example.com', :hash, :when, 'old', 'old@example.com', :yes), "
            "(2, 'other', 'other@example.com', :hash, :when, 'other', 'other@example.com', :no)"),
            {"hash": service.generate_password_hash(PASSWORD), "when": when, "yes": True, "no": False})
        connection.execute(text(
            "INSERT INTO analyses (id, user_id, created_at, source, filename, image_width, image_height, frame_count) "
            "VALUES (1, 1, :when, 'upload', 'old.jpg', 640, 480, 1)"), {"when": when})
        connection.execute(text(
            "INSERT INTO face_results (id, analysis_id, face_index, x, y, w, h, label, confidence, "
            "angry, disgust, fear, happy, sad, surprise, neutral) "
            "VALUES (1, 1, 0, 1, 2, 30, 40, 'sad', 0.7, 0.05, 0.05, 0.05, 0.05, 0.7, 0.05, 0.05)"))

    upgrade(directory="migrations", revision=THIS)

    with db.engine.begin() as connection:
        assert current_revision(connection) == THIS
        rows = connection.execute(text(
            "SELECT username, keep_photos, is_admin, disabled, last_login_at FROM users ORDER BY id")).all()
        assert rows == [("old", True, False, False, None), ("other", False, False, False, None)]
        assert connection.execute(text("SELECT label FROM face_results")).scalar() == "sad"
        assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0

    # The upgraded database works with the models: a token is made, checked, and goes with its
    # account; the audit log keeps its entry with the account's id set to NULL.
    old = db.session.get(User, 1)
    assert service.authenticate("old", PASSWORD).id == 1
    secret = tokens.create_token(old, "script", ["write"]).secret
    assert tokens.authenticate(secret).user_id == 1
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO audit_log (created_at, actor_id, actor_name, action, target_id, target_name, detail) "
            "VALUES (:when, 2, 'other', 'delete', 1, 'old', '')"), {"when": when})
    db.session.remove()
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.execute(text("DELETE FROM users WHERE id = 1"))
        assert connection.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 0
        assert connection.execute(text("SELECT target_id, target_name FROM audit_log")).one() == (None, "old")

    downgrade(directory="migrations", revision=PREVIOUS)
    with db.engine.begin() as connection:
        assert not {"api_tokens", "audit_log"} & set(inspect(connection).get_table_names())
        columns = {c["name"] for c in inspect(connection).get_columns("users")}
        assert not {"is_admin", "disabled", "last_login_at"} & columns
        assert connection.execute(text("SELECT username FROM users")).scalar() == "other"
