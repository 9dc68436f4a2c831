"""Image analysis: the upload page, its result page and the JSON API."""
from flask import Blueprint

bp = Blueprint("analysis", __name__)

from app.analysis import routes  # noqa: E402,F401
