"""/api/v1/webcam/sessions: live camera sessions (start, one frame at a time, stop, read)."""
import time

from flask import abort, current_app, jsonify, request
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.analysis.service import find_faces
from app.api_v1 import bp, schemas
from app.api_v1.auth import login_required
from app.errors import problem
from app.extensions import limiter
from app.vision import VIDEO_SEARCH
from app.webcam.frames import FrameError, FrameLimits, check_frame_headers, decode_frame
from app.webcam.sessions import (SessionEnded, follow_faces, get_owned_session, record_frame, session_summary,
                                 start_session, stop_session)

FRAME_BODY = {
    "required": True,
    "description": "One camera frame as the raw body (the page sends a JPEG at most 640 pixels wide).",
    "content": {kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in ("image/jpeg", "image/png", "image/webp")},
}
FRAME_TITLES = {400: "Bad frame", 413: "Frame too large", 415: "Unsupported media type"}

TAGS = ["Webcam"]


def frame_rate_limit() -> str:
    return current_app.config["WEBCAM_FRAME_LIMIT"]


def user_or_address() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def frame_limits() -> FrameLimits:
    return FrameLimits(
        max_bytes=current_app.config.get("WEBCAM_MAX_FRAME_BYTES", 2 * 1024 * 1024),
        max_pixels=current_app.config.get("WEBCAM_MAX_FRAME_PIXELS", 1920 * 1080),
    )


def owned_session_or_404(session_id: int):
    session = get_owned_session(current_user.id, session_id)
    if session is None:
        abort(404, description="No such webcam session.")
    return session


@bp.route("/webcam/sessions", methods=["POST"], tags=TAGS)
@bp.response(201, schemas.WebcamSession)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Start a webcam session", description="Sessions left open are closed first.")
@login_required
def start_webcam_session():
    return session_summary(start_session(current_user.id)), 201


@bp.route("/webcam/sessions/<int:session_id>/frames", methods=["POST"], tags=TAGS)
@limiter.limit(frame_rate_limit, key_func=user_or_address, scope="webcam-frames")
@bp.doc(requestBody=FRAME_BODY, summary="Analyse one camera frame",
        description="Faces of the frame; each second with faces is stored once, its scores averaged.")
@bp.response(200, schemas.FrameResult)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@bp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@login_required
def webcam_frame(session_id: int):
    session = owned_session_or_404(session_id)
    limits = frame_limits()
    try:
        check_frame_headers(request.mimetype, request.content_length, limits)
        picture = decode_frame(request.get_data(cache=False), limits)
    except FrameError as error:
        return problem(error.status, FRAME_TITLES.get(error.status, "Bad frame"), error.message)
    started = time.perf_counter()
    faces = find_faces(picture, search=VIDEO_SEARCH)
    analysis_ms = (time.perf_counter() - started) * 1000
    width, height = picture.width, picture.height
    tracks = follow_faces(session, faces)  # saved with the frame's commit below
    try:
        record_frame(session, faces, width, height)
    except SessionEnded as error:
        return problem(409, "Session ended", str(error))
    return jsonify(session_id=session.id, width=int(width), height=int(height),
                   faces=[face.to_dict() for face in faces], tracks=[track.to_dict() for track in tracks],
                   analysis_ms=round(analysis_ms, 1))


@bp.route("/webcam/sessions/<int:session_id>/stop", methods=["POST"], tags=TAGS)
@bp.response(200, schemas.WebcamSession)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Stop a webcam session")
@login_required
def stop_webcam_session(session_id: int):
    return session_summary(stop_session(owned_session_or_404(session_id)))


@bp.route("/webcam/sessions/<int:session_id>", methods=["GET"], tags=TAGS)
@bp.response(200, schemas.WebcamSession)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="A webcam session and its seconds")
@login_required
def webcam_session(session_id: int):
    return session_summary(owned_session_or_404(session_id))
