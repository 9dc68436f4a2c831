"""Failed-login lockout counted in the database, so it is exact across workers and instances.

Each account has a counter row in ``login_failures`` (keyed ``user:<id>``, so guesses by
username and by e-mail count together; a name that matches no account is keyed by a hash of its
normalised form, so unknown and known accounts lock the same way and the lockout tells an
attacker nothing). An attempt first *reserves* its place with one atomic upsert
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``): the counter either starts a new window or
goes up by one, and the password is checked only when the new count is within the limit. So
with N allowed per window, exactly N passwords are checked, however many workers race. A
successful login deletes the row.
"""
import hashlib
from datetime import timedelta

from flask import current_app
from limits import parse
from sqlalchemy import case, delete

from app.extensions import db
from app.models import LoginFailure, User, utcnow


def account_key(user: User | None, login_key: str) -> str:
    if user is not None:
        return f"user:{user.id}"
    return "name:" + hashlib.sha256(login_key.encode("utf-8", "surrogatepass")).hexdigest()


def _upsert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"login throttling needs SQLite or PostgreSQL, not {dialect}")
    return insert


def reserve_attempt(key: str, limit_text: str | None = None) -> bool:
    """Count one attempt for ``key``; False when its attempts for this window are used up.

    ``limit_text`` ("3 per hour") defaults to LOGIN_LIMIT_PER_ACCOUNT; other uses (password
    reset requests) key their counters with their own prefix."""
    limit = parse(limit_text or current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])
    now = utcnow()
    window_over = LoginFailure.window_start <= now - timedelta(seconds=limit.get_expiry())
    insert = _upsert(db.engine.dialect.name)
    statement = (
        insert(LoginFailure)
        .values(key=key, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[LoginFailure.key],
            set_={
                # Both right-hand sides see the row as it was before this update.
                "failures": case((window_over, 1), else_=LoginFailure.failures + 1),
                "window_start": case((window_over, now), else_=LoginFailure.window_start),
            },
        )
        .returning(LoginFailure.failures)
    )
    db.session.commit()  # start a fresh transaction: SQLite takes its write lock right here
    count = db.session.execute(statement).scalar_one()
    db.session.commit()
    return count <= limit.amount


def clear(key: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))
    db.session.commit()
