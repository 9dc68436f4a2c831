"""Account logic kept out of the views."""
from sqlalchemy import func, or_, select

from app.extensions import db
from app.models import User


class AccountError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register_user(username: str, email: str, password: str) -> User:
    username = username.strip()
    email = normalise_email(email)
    # Usernames are unique regardless of case, so "Alice" cannot impersonate "alice".
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError("username", "This username is already taken.")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError("email", "An account with this email already exists.")
    user = User(username=username, email=email)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(login: str, password: str) -> User | None:
    login = login.strip()
    user = db.session.scalar(
        select(User).where(
            or_(func.lower(User.username) == login.lower(), User.email == normalise_email(login))
        )
    )
    if user is None or not user.check_password(password):
        return None
    return user


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise AccountError("current_password", "The current password is wrong.")
    user.set_password(new_password)
    db.session.commit()


def delete_account(user: User, password: str) -> None:
    if not user.check_password(password):
        raise AccountError("password", "The password is wrong.")
    db.session.delete(user)
    db.session.commit()
