"""The identity-keys migration upgrades a database that already holds accounts, look-alikes
included, on SQLite and (with TEST_DATABASE_URL) PostgreSQL, and can be undone."""
import unicodedata
from datetime import datetime

from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.auth import service
from app.extensions import db

PREVIOUS = "2107198ba287"
THIS = "b1d2e3f4a5c6"

PASSWORD = "correct horse battery"
NFC = unicodedata.normalize("NFC", "zoë@example.com")
NFD = unicodedata.normalize("NFD", "zoë@example.com")


def test_upgrade_fills_keys_and_leaves_younger_look_alikes_without_one(empty_database):
    upgrade(directory="migrations", revision=PREVIOUS)
    hashed = service.generate_password_hash(PASSWORD)
    accounts = [
        (1, "bob", "bob@example.com"),
        (2, "BOB", "bob2@example.com"),  # a look-alike name (a registration race)
        (3, "zoe", NFC),
        (4, "zoe2", NFD),  # the same e-mail in another Unicode form
        (5, "Carol", "Carol@Example.com"),
    ]
    with db.engine.begin() as connection:
        for user_id, username, email in accounts:
            connection.execute(
                text("INSERT INTO users (id, username, email, password_hash, created_at) "
                     "VALUES (:id, :username, :email, :hash, :when)"),
                {"id": user_id, "username": username, "email": email, "hash": hashed,
                 "when": datetime(2026, 1, user_id)},
            )

    upgrade(directory="migrations", revision=THIS)

    with db.engine.begin() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == THIS
        rows = connection.execute(text("SELECT id, username_key, email_key FROM users ORDER BY id")).all()
    assert rows == [
        (1, "bob", "bob@example.com"),
        (2, None, "bob2@example.com"),
        (3, "zoe", NFC),
        (4, "zoe2", None),
        (5, "carol", "carol@example.com"),
    ]
    # Later migrations, so that the models match the schema.
    upgrade(directory="migrations", revision="heads")
    # Logging in: a colliding name or e-mail means the oldest account; the younger
    # look-alike still logs in by its other, unique identifier.
    assert service.authenticate("BoB", PASSWORD).id == 1
    assert service.authenticate("bob2@example.com", PASSWORD).id == 2
    assert service.authenticate(NFD, PASSWORD).id == 3
    assert service.authenticate("zoe2", PASSWORD).id == 4
    assert service.authenticate("CAROL@example.com", PASSWORD).id == 5
    db.session.remove()
    # The database now refuses new look-alikes by itself.
    with db.engine.begin() as connection:
        try:
            connection.execute(text(
                "INSERT INTO users (username, email, password_hash, created_at, username_key, email_key) "
                "VALUES ('CAROL', 'c2@example.com', 'x', :when, 'carol', 'c2@example.com')"),
                {"when": datetime(2026, 2, 1)})
        except Exception as error:  # IntegrityError from either driver
            assert "unique" in str(error).lower()
        else:
            raise AssertionError("the unique index on username_key is missing")

    downgrade(directory="migrations", revision=PREVIOUS)
    with db.engine.begin() as connection:
        tables = inspect(connection).get_table_names()
        assert "user_sessions" not in tables and "login_failures" not in tables
        assert "username_key" not in {c["name"] for c in inspect(connection).get_columns("users")}
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 5

