"""Request limits of the JSON API, counted per access token, per account and per client address
(Flask-Limiter; in Redis when RATELIMIT_STORAGE_URI names one, so every worker shares the count).

Each API request counts against every limit that applies to it: its token's (token requests),
its account's (token and cookie requests alike: several tokens of one account share it) and its
address's. Over any of them the answer is 429 with ``Retry-After``; every answer carries
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (seconds until the window
ends) for the limit closest to running out. The webcam's frame call has its own, per-account
limit instead (a camera sends many frames a second).
"""
import time

from flask import Blueprint, Flask, current_app, g
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.extensions import limiter


def token_key() -> str:
    return f"token:{g.api_token.id}"


def user_key() -> str:
    return f"user:{current_user.id}"


def without_token() -> bool:
    return g.get("api_token") is None


def anonymous() -> bool:
    return not current_user.is_authenticated


def apply(blueprint: Blueprint) -> None:
    """The three limits on every route of ``blueprint`` (shared by all blueprints given)."""
    limiter.shared_limit(lambda: current_app.config["API_LIMIT_PER_TOKEN"], scope="api-token",
                         key_func=token_key, exempt_when=without_token)(blueprint)
    limiter.shared_limit(lambda: current_app.config["API_LIMIT_PER_USER"], scope="api-user",
                         key_func=user_key, exempt_when=anonymous)(blueprint)
    limiter.shared_limit(lambda: current_app.config["API_LIMIT_PER_ADDRESS"], scope="api-address",
                         key_func=get_remote_address)(blueprint)


def register_headers(app: Flask) -> None:
    """Rewrite Flask-Limiter's headers into the IETF RateLimit fields: ``RateLimit-Reset`` in
    seconds from now (Flask-Limiter writes a Unix time), and ``Retry-After`` only on a refusal.

    Registered before the limiter, so that it runs after the limiter has added its headers."""

    @app.after_request
    def ratelimit_headers(response):
        reset = response.headers.get("RateLimit-Reset")
        if reset is not None and reset.isdigit():
            response.headers["RateLimit-Reset"] = str(max(0, int(reset) - int(time.time())))
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response
