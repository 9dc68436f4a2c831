"""Account logic kept out of the views."""
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth import sessions, throttle
from app.auth.identity import EMAIL_KEY_LENGTH, USERNAME_KEY_LENGTH, identity_key
from app.extensions import db
from app.models import User

USERNAME_TAKEN = "This username is already taken."
EMAIL_TAKEN = "An account with this email already exists."

# Checked against when the account does not exist, so that a failed login costs the same time
# (one password hash check) for unknown and for known accounts.
_DUMMY_HASH: str | None = None


class AccountError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class AccountDisabled(Exception):
    """The password was right, but an admin has disabled the account."""


class LoginThrottled(Exception):
    """Too many login attempts for this account in the current window."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register_user(username: str, email: str, password: str) -> User:
    """Create an account. Look-alike names and e-mails (case, Unicode forms) count as taken.

    The unique indexes on the normalised keys decide: a registration that loses a race
    against an identical one gets the same "taken" message as one that came second."""
    username = username.strip()
    email = normalise_email(email)
    username_key, email_key = identity_key(username), identity_key(email)
    if "\x00" in username_key + email_key:
        raise AccountError("email" if "\x00" in email_key else "username", "This contains a character that is not allowed.")
    if len(username_key) > USERNAME_KEY_LENGTH:
        raise AccountError("username", "This username is too long.")
    if len(email_key) > EMAIL_KEY_LENGTH:
        raise AccountError("email", "This email address is too long.")
    existing = taken_field(username_key, email_key)
    if existing:
        raise AccountError(*existing)
    user = User(username=username, email=email, username_key=username_key, email_key=email_key)
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise AccountError(*(taken_field(username_key, email_key) or ("username", USERNAME_TAKEN))) from None
    return user


def taken_field(username_key: str, email_key: str) -> tuple[str, str] | None:
    if db.session.scalar(select(User.id).where(User.username_key == username_key)):
        return "username", USERNAME_TAKEN
    if db.session.scalar(select(User.id).where(User.email_key == email_key)):
        return "email", EMAIL_TAKEN
    return None


def find_account(login: str) -> User | None:
    """The account whose username or e-mail is ``login`` (compared as normalised keys)."""
    key = identity_key(login)
    if "\x00" in key:
        return None  # no account has one (and PostgreSQL refuses NUL in a query)
    return db.session.scalars(
        select(User).where(or_(User.username_key == key, User.email_key == key)).order_by(User.id)
    ).first()


def authenticate(login: str, password: str) -> User | None:
    """The account if ``password`` is right; None if not. Raises LoginThrottled when locked,
    AccountDisabled when the password is right but the account is disabled.

    Unknown and known accounts look alike from outside: both are counted by the lockout, and
    both cost one password hash check."""
    user = find_account(login)
    key = throttle.account_key(user, identity_key(login))
    if not throttle.reserve_attempt(key):
        raise LoginThrottled
    if user is None:
        check_password_hash(dummy_hash(), password)
        return None
    if not user.check_password(password):
        return None
    throttle.clear(key)
    if user.disabled:
        raise AccountDisabled
    return user


def dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = generate_password_hash("not a password of anybody")
    return _DUMMY_HASH


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Set a new password and end every login session of the user (the caller opens a new one)."""
    if not user.check_password(current_password):
        raise AccountError("current_password", "The current password is wrong.")
    user.set_password(new_password)
    sessions.end_all(user)
    db.session.commit()


def delete_account(user: User, password: str) -> None:
    if not user.check_password(password):
        raise AccountError("password", "The password is wrong.")
    db.session.delete(user)
    db.session.commit()
