"""The upload-key migration upgrades a database that already holds data, on SQLite and (with
TEST_DATABASE_URL) PostgreSQL, and can be undone."""
from datetime import datetime

from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.analysis.idempotency import analyse_once
from app.analysis.service import ImageUpload
from app.auth import service
from app.extensions import db
from app.models import User
from tests import images

PREVIOUS = "e5f6a7b8c9d0"
THIS = "f6a7b8c9d0e1"
PASSWORD = "correct horse battery"


def current_revision(connection) -> str:
    return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_keeps_the_data_and_adds_upload_keys(empty_database):
    upgrade(directory="migrations", revision=PREVIOUS)
    when = datetime(2026, 6, 1, 9, 30, 0)
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, email, password_hash, created_at, username_key, email_key, keep_photos, "
            "is_admin, disabled) VALUES (1, 'old', 'old@example.com', :hash, :when, 'old', 'old@example.com', "
            ":no, :no, :no)"), {"hash": service.generate_password_hash(PASSWORD), "when": when, "no": False})
        connection.execute(text(
            "INSERT INTO analyses (user_id, created_at, source, filename, image_width, image_height, frame_count) "
            "VALUES (1, :when, 'upload', 'old.jpg', 4000, 3000, 1)"), {"when": when})

    upgrade(directory="migrations", revision=THIS)

    with db.engine.begin() as connection:
        assert current_revision(connection) == THIS
        assert connection.execute(text("SELECT filename, image_width FROM analyses")).one() == ("old.jpg", 4000)
        assert connection.execute(text("SELECT count(*) FROM upload_keys")).scalar() == 0

    # The upgraded database works with the models: a keyed upload is stored once.
    old = db.session.get(User, 1)
    upload = ImageUpload("a.jpg", images.astronaut_jpeg(), "image/jpeg")
    first, replayed = analyse_once(old, "key-1", [upload], 40_000_000)
    again, replayed_again = analyse_once(old, "key-1", [upload], 40_000_000)
    assert (replayed, replayed_again) == (False, True)
    assert first[0].analysis.id == again[0].analysis.id
    db.session.remove()
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT count(*) FROM analyses")).scalar() == 2
        if db.engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA foreign_keys=ON"))
        connection.execute(text("DELETE FROM users WHERE id = 1"))
        assert connection.execute(text("SELECT count(*) FROM upload_keys")).scalar() == 0

    downgrade(directory="migrations", revision=PREVIOUS)
    with db.engine.begin() as connection:
        assert "upload_keys" not in set(inspect(connection).get_table_names())
        assert current_revision(connection) == PREVIOUS
