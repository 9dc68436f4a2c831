"""The JSON API, version 1 (``/api/v1``): what the pages' scripts, other programs and the
generated OpenAPI document (``/api/v1/openapi.json``, browsable at ``/api/v1/docs``) share.

Authentication: ``Authorization: Bearer <personal access token>``, or the session cookie plus
the CSRF token in ``X-CSRFToken`` for calls that change something (``app.auth.bearer``).
Errors are ``application/problem+json`` (``app.errors``). Routes are thin: they read the
request and call the same services as the pages.
"""
from flask_smorest import Blueprint

from app.api_v1 import limits

bp = Blueprint(
    "api_v1", __name__, url_prefix="/api/v1",
    description="Analyses, history, statistics, export, webcam sessions, videos and access tokens.",
)
limits.apply(bp)  # once per process: Flask-Limiter keeps limits per blueprint name

from app.api_v1 import analyses, stats, tokens, videos, webcam  # noqa: E402,F401
