"""JSON API for scripts and for the pages' JavaScript.

Authentication is the session cookie; state-changing calls need the CSRF token in the
X-CSRFToken header (GET /api/csrf-token hands it out).
"""
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from app.analysis.ownership import owned_analysis_or_404
from app.analysis.service import (
    UploadError,
    analyse_uploads,
    delete_analysis,
    uploads_from_files,
    uploads_from_json,
)

api_bp = Blueprint("api", __name__)


@api_bp.get("/csrf-token")
@login_required
def csrf_token():
    return jsonify(csrf_token=generate_csrf())


@api_bp.post("/analyze")
@login_required
def analyze():
    """Analyse one or many images: multipart field(s) `image`, or JSON {"image": base64}.

    Per file: every good file is analysed and stored, every bad one is reported on its own
    (see ``analysis_response``)."""
    try:
        uploads = read_uploads_from_request()
    except UploadError as error:
        return jsonify(error=error.message), error.status
    outcomes = analyse_uploads(current_user, uploads, current_app.config["MAX_IMAGE_PIXELS"])
    return analysis_response(outcomes)


def analysis_response(outcomes):
    """200 with ``results`` (stored analyses) and ``errors`` (refused files) when at least one
    file was stored; when none was, the refused file's 4xx status (400 if they differ) with
    ``error`` naming every refused file, and the same ``errors`` list."""
    results = [outcome.analysis.to_dict() for outcome in outcomes if outcome.ok]
    errors = [{"filename": o.filename, "error": o.error, "status": o.status} for o in outcomes if not o.ok]
    body = {"results": results, "errors": errors, "files": [outcome.to_dict() for outcome in outcomes]}
    if results:
        return jsonify(body)
    statuses = {error["status"] for error in errors}
    status = statuses.pop() if len(statuses) == 1 else 400
    return jsonify(error=" ".join(error["error"] for error in errors), **body), status


def read_uploads_from_request():
    if request.mimetype == "multipart/form-data":
        return uploads_from_files(
            request.files.getlist("image"), current_app.config["MAX_FILES_PER_UPLOAD"]
        )
    if request.mimetype == "application/json":
        payload = request.get_json(silent=True)
        if payload is None:
            raise UploadError("Malformed JSON body.")
        return uploads_from_json(payload)
    raise UploadError(
        "Send the image as multipart/form-data (field 'image') or as JSON {\"image\": base64}.", 415
    )


@api_bp.get("/analyses/<int:analysis_id>")
@login_required
def get_analysis(analysis_id: int):
    analysis = owned_analysis_or_404(analysis_id)
    return jsonify(analysis.to_dict())


@api_bp.delete("/analyses/<int:analysis_id>")
@login_required
def remove_analysis(analysis_id: int):
    analysis = owned_analysis_or_404(analysis_id)
    delete_analysis(analysis)
    return "", 204
