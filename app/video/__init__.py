"""Video files: upload a recording and get every face's emotion over time.

Pages here (upload, progress, result, thumbnails, cancel/delete forms); the JSON calls are in
``app.api_v1.videos``. Both go through ``app.video.jobs``, the one service, which wraps the
Flask-free ``app.video.service`` (storage, job life) and ``app.vision.video`` (decoding, tracks).
Jobs run in worker processes (``python -m app.video.worker``) fed by a Huey queue (``app.video.queue``).
"""
from flask import Blueprint

bp = Blueprint("video", __name__)

from app.video import routes  # noqa: E402,F401
