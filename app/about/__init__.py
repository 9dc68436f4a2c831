"""The "About the model" page: what the model measures, how well, and what it must not be used for."""
from flask import Blueprint

bp = Blueprint("about", __name__)

from app.about import routes  # noqa: E402,F401
