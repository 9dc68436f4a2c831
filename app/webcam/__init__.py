"""Live webcam detection: the page, the frame API and the session history.

The browser sends downscaled JPEG frames one at a time to
``POST /api/webcam/sessions/<id>/frames``; each frame is analysed in memory and dropped, and only
per-second summaries are stored (see ``app.webcam.sessions`` for the storage design).
"""
from flask import Blueprint

bp = Blueprint("webcam", __name__)

from app.webcam import routes  # noqa: E402,F401
