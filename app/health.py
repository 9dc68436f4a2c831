"""Liveness/readiness probe for load balancers and Render."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # the probe must answer, not crash, when the database is down
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
