"""/api/v1/analyses: analyse pictures, list, read and delete the stored results."""
from flask import Response, current_app, jsonify, request
from flask_login import current_user

from app.analysis.idempotency import analyse_once, clean_key
from app.analysis.ownership import owned_analysis_or_404
from app.analysis.service import (
    UploadError,
    delete_analysis,
    list_analyses,
    uploads_from_files,
    uploads_from_json,
)
from app.api_v1 import bp, schemas
from app.api_v1.auth import login_required
from app.api_v1.stats import date_range_from
from app.errors import problem

UPLOAD_BODY = {
    "required": True,
    "description": "One or several pictures (JPEG, PNG, WebP or BMP): multipart parts named image, or "
                   "JSON with base64 data.",
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["image"],
            "properties": {"image": {"type": "array", "items": {"type": "string", "format": "binary"}}},
        }},
        "application/json": {"schema": {"oneOf": [
            {"$ref": "#/components/schemas/JsonImage"},
            {"type": "object", "required": ["images"], "properties": {
                "images": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/JsonImage"}},
            }},
        ]}},
    },
}

TAGS = ["Analyses"]

IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]([ -~]*[!-~])?$"},
    "description": "Makes the upload safe to repeat: the same key from the same account within a day returns "
                   "the analyses its first request stored (with `Idempotent-Replayed: true`) instead of storing "
                   "the pictures again. The same key with other files gets 422; while its first request is still "
                   "being analysed, 409. A request that stored nothing forgets its key. The upload page sends one "
                   "key per file.",
}
UPLOAD_TITLES = {400: "Bad request", 409: "Upload in progress", 415: "Unsupported media type",
                 422: "Idempotency-Key reused"}


@bp.route("/analyses", methods=["POST"], tags=TAGS)
@bp.doc(requestBody=UPLOAD_BODY, parameters=[IDEMPOTENCY_KEY], summary="Analyse pictures",
        description="Every good file is analysed and stored, every bad one is listed in errors with the status "
                    "it would have had on its own. 200 when at least one file was stored; otherwise the refused "
                    "file's status (400 if they differ) with the same lists. Check errors, not only the status.")
@bp.response(200, schemas.AnalysisBatch)
@bp.alt_response(400, schema=schemas.AnalysisBatchProblem, content_type="application/problem+json",
                 description="Nothing stored: a bad request, or every file refused.")
@bp.alt_response(415, schema=schemas.AnalysisBatchProblem, content_type="application/problem+json",
                 description="Not multipart or JSON, or a part that is not an image.")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@bp.alt_response(422, response="UNPROCESSABLE_ENTITY")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@login_required
def create_analyses():
    try:
        key = clean_key(request.headers.get("Idempotency-Key"))
        uploads = read_uploads_from_request()
        outcomes, replayed = analyse_once(current_user, key, uploads, current_app.config["MAX_IMAGE_PIXELS"])
    except UploadError as error:
        return problem(error.status, UPLOAD_TITLES.get(error.status, "Bad request"), error.message)
    response = analysis_response(outcomes)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def analysis_response(outcomes):
    """200 with ``results`` (stored analyses) and ``errors`` (refused files) when at least one
    file was stored; when none was, the refused file's 4xx status (400 if they differ) with a
    detail naming every refused file, and the same lists."""
    results = [outcome.analysis.to_dict() for outcome in outcomes if outcome.ok]
    errors = [{"filename": o.filename, "error": o.error, "status": o.status} for o in outcomes if not o.ok]
    body = {"results": results, "errors": errors, "files": [outcome.to_dict() for outcome in outcomes]}
    if results:
        return jsonify(body)
    statuses = {error["status"] for error in errors}
    status = statuses.pop() if len(statuses) == 1 else 400
    title = "Unsupported media type" if status == 415 else "No picture could be analysed"
    return problem(status, title, " ".join(error["error"] for error in errors), **body)


def read_uploads_from_request():
    max_files = current_app.config["MAX_FILES_PER_UPLOAD"]
    if request.mimetype == "multipart/form-data":
        return uploads_from_files(request.files.getlist("image"), max_files)
    if request.mimetype == "application/json":
        payload = request.get_json(silent=True)
        if payload is None:
            raise UploadError("Malformed JSON body.")
        return uploads_from_json(payload, max_files)
    raise UploadError(
        "Send the image as multipart/form-data (field 'image') or as JSON {\"image\": base64}.", 415
    )


@bp.route("/analyses", methods=["GET"], tags=TAGS)
@bp.arguments(schemas.AnalysisListQuery, location="query", as_kwargs=True)
@bp.response(200, schemas.AnalysisPage)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="List your analyses",
        description="Pictures and webcam seconds, newest first, a page at a time; filtered by days "
                    "(in tz) and source.")
@login_required
def list_(page, per_page, source=None, **dates):
    found = list_analyses(current_user.id, date_range_from(dates), source, page, per_page)
    return found.to_dict()


@bp.route("/analyses/<int:analysis_id>", methods=["GET"], tags=TAGS)
@bp.response(200, schemas.Analysis)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="One analysis", description="404 unless it is yours.")
@login_required
def get_analysis(analysis_id: int):
    return owned_analysis_or_404(analysis_id).to_dict()


@bp.route("/analyses/<int:analysis_id>", methods=["DELETE"], tags=TAGS)
@bp.response(204)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Delete an analysis", description="404 unless it is yours.")
@login_required
def delete(analysis_id: int):
    delete_analysis(owned_analysis_or_404(analysis_id))
    return Response(status=204)
