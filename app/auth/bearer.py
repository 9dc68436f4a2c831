"""Who is calling: a personal access token (``Authorization: Bearer ...``) on the JSON API,
the login session's cookies everywhere else; and the CSRF check, which only cookie requests need.

A request under ``/api/`` that carries a Bearer token is authenticated by that token alone (a
cookie sent with it is ignored) and needs no CSRF token: a browser never adds such a header to a
cross-site request by itself. A token that is unknown, revoked, expired, malformed or whose account
is disabled gets 401; a read-only token on anything but GET, HEAD or OPTIONS gets 403. Every
other request, cookie-authenticated or anonymous, goes through the CSRF check as before.
"""
from flask import Flask, current_app, g, request
from flask_login import current_user

from app.auth import tokens
from app.errors import problem
from app.extensions import csrf

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
API_PREFIX = "/api/"


def bearer_secret() -> str | None:
    """The token of an ``Authorization: Bearer`` header on an API address, else None."""
    if not request.path.startswith(API_PREFIX):
        return None
    scheme, _, secret = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def token_scopes() -> list[str] | None:
    """The scopes of the token this request was authenticated with; None for cookie requests."""
    token = g.get("api_token")
    return token.scope_list if token is not None else None


def invalid_token():
    return problem(
        401, "Unauthorized", "The access token is invalid, expired or revoked, or its account is disabled.",
        {"WWW-Authenticate": 'Bearer realm="moodlens", error="invalid_token"'},
    )


def register(app: Flask) -> None:
    # The CSRF check is made below, for the requests that need it, instead of for all.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False

    @app.before_request
    def authenticate_request():
        secret = bearer_secret()
        if secret is None:
            return check_csrf()
        token = tokens.authenticate(secret)
        if token is None:
            return invalid_token()
        g.api_token = token
        g._login_user = token.user  # Flask-Login's current_user for this request only
        if request.method not in SAFE_METHODS and "write" not in token.scope_list:
            return problem(403, "Forbidden", "This access token is read-only: make one with the write scope "
                                             "to change anything.",
                           {"WWW-Authenticate": 'Bearer realm="moodlens", error="insufficient_scope", scope="write"'})
        return None


def check_csrf() -> None:
    config = current_app.config
    if not config["WTF_CSRF_ENABLED"] or request.method not in config["WTF_CSRF_METHODS"]:
        return None
    if not request.endpoint:
        return None
    if request.blueprint == "admin" and not (current_user.is_authenticated and current_user.is_admin):
        # The console answers 404 to everyone else (app.admin.routes) and must not be told
        # apart from a missing page by a 400 about a missing form token.
        return None
    csrf.protect()
    return None
