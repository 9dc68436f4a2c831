"""The JSON addresses of earlier versions, kept for existing scripts: each one is the same view
as its /api/v1 twin (one code path, the same checks and answers), plus the CSRF token for pages.

  POST   /api/analyze                            = POST   /api/v1/analyses
  GET    /api/analyses/<id>                      = GET    /api/v1/analyses/<id>
  DELETE /api/analyses/<id>                      = DELETE /api/v1/analyses/<id>
  POST   /api/webcam/sessions                    = POST   /api/v1/webcam/sessions
  POST   /api/webcam/sessions/<id>/frames        = POST   /api/v1/webcam/sessions/<id>/frames
  POST   /api/webcam/sessions/<id>/stop          = POST   /api/v1/webcam/sessions/<id>/stop
  GET    /api/webcam/sessions/<id>               = GET    /api/v1/webcam/sessions/<id>
"""
from flask import Blueprint, jsonify
from flask_login import login_required
from flask_wtf.csrf import generate_csrf

from app.api_v1 import analyses, limits, webcam

api_bp = Blueprint("api", __name__)
limits.apply(api_bp)

ALIASES = (
    ("/analyze", "analyze", analyses.create_analyses, "POST"),
    ("/analyses/<int:analysis_id>", "get_analysis", analyses.get_analysis, "GET"),
    ("/analyses/<int:analysis_id>", "remove_analysis", analyses.delete, "DELETE"),
    ("/webcam/sessions", "webcam_start", webcam.start_webcam_session, "POST"),
    ("/webcam/sessions/<int:session_id>/frames", "webcam_frame", webcam.webcam_frame, "POST"),
    ("/webcam/sessions/<int:session_id>/stop", "webcam_stop", webcam.stop_webcam_session, "POST"),
    ("/webcam/sessions/<int:session_id>", "webcam_show", webcam.webcam_session, "GET"),
)
for rule, endpoint, view, method in ALIASES:
    api_bp.add_url_rule(rule, endpoint, view, methods=[method])


@api_bp.get("/csrf-token")
@login_required
def csrf_token():
    return jsonify(csrf_token=generate_csrf())
