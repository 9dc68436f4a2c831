"""The admin console (/admin): accounts with their counts, disable / enable / delete, figures of
the whole instance and the audit log. Admins see counts, never anyone's pictures, faces or scores."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import routes  # noqa: E402,F401
