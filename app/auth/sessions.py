"""Server-side login sessions: a cookie is worth something only while its row exists.

Flask-Login keeps ``user.get_id()`` in the signed session cookie and in the remember-me cookie.
Here that id is a random token made at each login, and the database keeps its SHA-256 in
``user_sessions`` with an expiry. So:

* every login (with or without "keep me logged in") gets a new token: remember-me cookies differ
  from login to login;
* logging out deletes that login's row: a copy of its cookies stops working at once;
* changing the password deletes every row of the user (all devices, all remember-me cookies)
  and opens a fresh session for the browser that changed it;
* a row lives at most ``LOGIN_SESSION_LIFETIME``, however long a cookie is kept;
* a disabled account's sessions are deleted, and its cookies are refused even before that.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_login import login_user, logout_user
from sqlalchemy import delete, select

from app.extensions import db
from app.models import User, UserSession, utcnow


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def lifetime() -> timedelta:
    return current_app.config["LOGIN_SESSION_LIFETIME"]


def start(user: User, remember: bool = False) -> None:
    """Open a new login session for ``user`` and log this browser in with it."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now))
    db.session.add(UserSession(user_id=user.id, token_hash=token_hash(token), created_at=now, expires_at=now + lifetime()))
    user.last_login_at = now
    db.session.commit()
    user.session_token = token
    login_user(user, remember=remember, duration=lifetime())


def load(token: str) -> User | None:
    """Flask-Login's user loader: the user whose unexpired session carries ``token``."""
    if not token or len(token) > 100:
        return None
    user = db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == token_hash(token), UserSession.expires_at > utcnow(),
               User.disabled.is_(False))
    )
    if user is not None:
        user.session_token = token
    return user


def end(user: User) -> None:
    """Log this browser out and delete its session, so copies of its cookies die too."""
    if user.session_token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == token_hash(user.session_token)))
        db.session.commit()
    logout_user()


def end_all(user: User) -> None:
    """Delete every session of ``user`` (all browsers, all remember-me cookies). Not committed."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
