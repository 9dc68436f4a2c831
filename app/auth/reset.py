"""Password reset by e-mail, without a table of its own.

* A reset link carries a token signed with the app's secret key (itsdangerous) that names the
  account and a fingerprint of its current password hash. It expires after
  ``PASSWORD_RESET_MINUTES`` and is single-use: setting a password changes the hash, so the
  link, and every other link sent before, stops working.
* Asking for a link gives the same answer whether or not an account uses the address, and
  costs the same time (the mail goes out after the answer).
* Requests are limited per e-mail address asked for and per account (counted in the database,
  like failed logins; over the limit nothing is sent, and the answer is still the same), and
  per client address by the route.
* A reset ends every login session and revokes every access token of the account.
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete, select

from app.auth import sessions, throttle
from app.auth.identity import identity_key
from app.extensions import db
from app.models import ApiToken, User

SALT = "moodlens-password-reset"


@dataclass
class ResetRequest:
    """Who should get a link (None: nobody, silently) for a request."""

    user: User | None


def password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:32]


def serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(user: User, secret_key: str) -> str:
    return serializer(secret_key).dumps({"u": user.id, "p": password_fingerprint(user)})


def account_for_token(token: str, secret_key: str, max_age_s: int) -> User | None:
    """The account a valid, unexpired, unused token was made for; None otherwise."""
    if not token or len(token) > 500:
        return None
    try:
        data = serializer(secret_key).loads(token, max_age=max_age_s)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        return None
    user = db.session.get(User, data["u"])
    if user is None or user.disabled:
        return None
    if not hmac.compare_digest(password_fingerprint(user), data["p"]):
        return None  # used already, or the password changed since
    return user


def request_reset(email: str, limit_per_email: str, limit_per_account: str) -> ResetRequest:
    """The account to send a link to, if any and if its limits allow; the caller answers the
    same whatever this returns."""
    key = identity_key(email.strip())
    if not key or "\x00" in key:
        return ResetRequest(None)
    email_counter = "reset-email:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    if not throttle.reserve_attempt(email_counter, limit_per_email):
        return ResetRequest(None)
    user = db.session.scalar(select(User).where(User.email_key == key))
    if user is None or user.disabled:
        return ResetRequest(None)
    if not throttle.reserve_attempt(f"reset-user:{user.id}", limit_per_account):
        return ResetRequest(None)
    return ResetRequest(user)


def reset_password(user: User, new_password: str) -> None:
    """Set the new password; every login session and access token of the account ends."""
    user.set_password(new_password)
    sessions.end_all(user)
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.session.commit()
    throttle.clear(f"user:{user.id}")  # failed logins before the reset no longer count
