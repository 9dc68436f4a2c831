"""Access checks shared by the API's routes."""
from functools import wraps

from flask import abort, g
from flask_login import current_user


def login_required(view):
    """401 (problem+json, from the login manager) unless a session or an access token says who
    is calling. Flask-Login's own decorator would do the same, but this one is documented."""
    from app.extensions import login_manager

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper


def session_only(view):
    """For calls that a token must not make (making more tokens): 403 for token requests."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("api_token") is not None:
            abort(403, description="Access tokens are made with a logged-in session (the account page), "
                                   "not with another token.")
        return view(*args, **kwargs)

    return wrapper
