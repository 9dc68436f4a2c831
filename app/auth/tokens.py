"""Personal access tokens: made, listed, revoked and checked (no request handling here).

A token is ``mlt_`` followed by 43 random URL-safe characters (256 bits). Only its SHA-256 is
stored; the token itself is shown once, when it is made. Checking a token looks its hash up
through a unique index and compares the stored hash in constant time, so neither the database
nor the comparison tells an attacker how much of a guess was right. A token works only while it
exists (revoking deletes it), has not expired, and its account is not disabled.
"""
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, User, utcnow

TOKEN_PREFIX = "mlt_"
TOKEN_LENGTH = len(TOKEN_PREFIX) + 43
SCOPES = ("read", "write")
MAX_TOKENS_PER_USER = 50
MAX_EXPIRY_DAYS = 3650
NAME_LENGTH = 80
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(ValueError):
    """A request to make a token that cannot be met, with a message for the user."""


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def normalise_scopes(scopes) -> str:
    """["read"] -> "read"; anything with "write" -> "read write" (writing implies reading)."""
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    chosen = set(scopes or ["read"])
    unknown = chosen - set(SCOPES)
    if unknown:
        raise TokenError(f"Unknown scope: {', '.join(sorted(unknown))}. Use read or write.")
    return "read write" if "write" in chosen else "read"


def create_token(user: User, name: str, scopes=("read",), expires_in_days: int | None = None,
                 now: datetime | None = None) -> NewToken:
    name = (name or "").strip()
    if not name or len(name) > NAME_LENGTH or any(ord(ch) < 32 for ch in name):
        raise TokenError(f"Give the token a name of 1 to {NAME_LENGTH} printable characters.")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise TokenError(f"A token expires after 1 to {MAX_EXPIRY_DAYS} days (or never).")
    scope_text = normalise_scopes(scopes)
    count = db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id))
    if count >= MAX_TOKENS_PER_USER:
        raise TokenError(f"You have {MAX_TOKENS_PER_USER} tokens already; revoke one first.")
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(secret), prefix=secret[:len(TOKEN_PREFIX) + 6],
        scopes=scope_text, created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.commit()
    return NewToken(token=token, secret=secret)


def list_tokens(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def revoke_token(user_id: int, token_id: int) -> bool:
    """Delete the user's token; False when there is none with that id (or it is someone else's)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        return False
    db.session.delete(token)
    db.session.commit()
    return True


def looks_like_token(secret: str) -> bool:
    return (
        len(secret) == TOKEN_LENGTH and secret.startswith(TOKEN_PREFIX)
        and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in secret[len(TOKEN_PREFIX):])
    )


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The token whose secret this is, if it is valid now and its account is enabled."""
    if not looks_like_token(secret):
        return None
    digest = hash_token(secret)
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    now = now or utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.user.disabled:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    return token
