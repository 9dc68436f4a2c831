"""The keep-my-photos migration upgrades a database that already holds data, on SQLite and
(with TEST_DATABASE_URL) PostgreSQL, and can be undone."""
from datetime import datetime

from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db

PREVIOUS = "b1d2e3f4a5c6"
THIS = "c7e8f9a0b1d2"


def current_revision(connection) -> str:
    return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_keeps_existing_rows_and_adds_the_photo_setting(empty_database):
    upgrade(directory="migrations", revision=PREVIOUS)
    when = datetime(2026, 5, 1, 12, 0, 0)
    with db.engine.begin() as connection:
        assert current_revision(connection) == PREVIOUS
        connection.execute(text(
            "INSERT INTO users (id, username, email, password_hash, created_at, username_key, email_key) "
            "VALUES (1, 'old', 'old@example.com', 'x', :when, 'old', 'old@example.com')"), {"when": when})
        connection.execute(text(
            "INSERT INTO webcam_sessions (id, user_id, started_at, frames_analysed) VALUES (1, 1, :when, 30)"),
            {"when": when})
        connection.execute(text(
            "INSERT INTO analyses (id, user_id, created_at, source, filename, image_width, image_height, frame_count) "
            "VALUES (1, 1, :when, 'upload', 'old.jpg', 640, 480, 1), "
            "(2, 1, :when, 'webcam', NULL, 640, 480, 12)"), {"when": when})
        connection.execute(text("UPDATE analyses SET webcam_session_id = 1 WHERE id = 2"))
        connection.execute(text(
            "INSERT INTO face_results (id, analysis_id, face_index, x, y, w, h, label, confidence, "
            "angry, disgust, fear, happy, sad, surprise, neutral) "
            "VALUES (1, 1, 0, 1, 2, 30, 40, 'happy', 0.9, 0.01, 0.01, 0.01, 0.9, 0.03, 0.02, 0.02)"))

    upgrade(directory="migrations", revision=THIS)

    with db.engine.begin() as connection:
        assert current_revision(connection) == THIS
        assert connection.execute(text("SELECT username, keep_photos FROM users")).all() == [("old", False)]
        assert connection.execute(text("SELECT count(*) FROM analyses")).scalar() == 2
        assert connection.execute(text("SELECT label FROM face_results")).scalar() == "happy"
        assert connection.execute(text("SELECT frames_analysed FROM webcam_sessions")).scalar() == 30
        assert connection.execute(text("SELECT count(*) FROM analysis_photos")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM deleted_items")).scalar() == 0
        # A kept photo goes with its analysis (ON DELETE CASCADE).
        connection.execute(text(
            "INSERT INTO analysis_photos (analysis_id, jpeg, width, height) VALUES (1, :jpeg, 64, 48)"),
            {"jpeg": b"\xff\xd8jpeg"})
        connection.execute(text("UPDATE users SET keep_photos = :yes"), {"yes": True})
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.execute(text("DELETE FROM analyses WHERE id = 1"))
        assert connection.execute(text("SELECT count(*) FROM analysis_photos")).scalar() == 0

    downgrade(directory="migrations", revision=PREVIOUS)
    with db.engine.begin() as connection:
        assert not {"analysis_photos", "deleted_items"} & set(inspect(connection).get_table_names())
        assert "keep_photos" not in {c["name"] for c in inspect(connection).get_columns("users")}
        assert connection.execute(text("SELECT username FROM users")).scalar() == "old"
        assert connection.execute(text("SELECT count(*) FROM analyses")).scalar() == 1
