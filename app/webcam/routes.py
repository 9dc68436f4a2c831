"""Routes of the webcam feature: thin wrappers around app.webcam.sessions and app.webcam.frames.

API (JSON under /api/, session cookie + X-CSRFToken header on POST):
  POST /api/webcam/sessions                      start a session        -> 201 {"id", ...}
  POST /api/webcam/sessions/<id>/frames          one frame (raw JPEG body) -> {"faces": [...], ...}
  POST /api/webcam/sessions/<id>/stop            end the session        -> the session summary
  GET  /api/webcam/sessions/<id>                 the session and its per-second rows
"""
import time

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from app.analysis.engine import get_analyzer
from app.extensions import limiter
from app.vision import VIDEO_SEARCH
from app.vision.confidence import MIN_CONFIDENCE, MIN_MARGIN
from app.webcam import bp
from app.webcam.frames import FrameError, FrameLimits, check_frame_headers, decode_frame
from app.webcam.sessions import (
    SessionEnded,
    delete_session,
    get_owned_session,
    record_frame,
    session_summary,
    start_session,
    stop_session,
)

# Longest side the page scales frames to before sending (the detector searches at 320 anyway).
FRAME_SIDE = 640


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


@bp.get("/webcam")
@login_required
def page():
    return render_template("webcam/index.html", frame_side=FRAME_SIDE,
                           uncertain_rule={"min_confidence": MIN_CONFIDENCE, "min_margin": MIN_MARGIN})


@bp.post("/api/webcam/sessions")
@login_required
def start():
    session = start_session(current_user.id)
    return jsonify(session_summary(session)), 201


@bp.post("/api/webcam/sessions/<int:session_id>/frames")
@login_required
@limiter.limit(frame_rate_limit, key_func=user_or_address, scope="webcam-frames")
def frame(session_id: int):
    session = owned_session_or_404(session_id)
    limits = frame_limits()
    try:
        check_frame_headers(request.mimetype, request.content_length, limits)
        image = decode_frame(request.get_data(cache=False), limits)
    except FrameError as error:
        return jsonify(error=error.message), error.status
    started = time.perf_counter()
    faces = get_analyzer().analyze(image, search=VIDEO_SEARCH)
    analysis_ms = (time.perf_counter() - started) * 1000
    height, width = image.shape[:2]
    try:
        record_frame(session, faces, width, height)
    except SessionEnded as error:
        return jsonify(error=str(error)), 409
    return jsonify(
        session_id=session.id,
        width=int(width),
        height=int(height),
        faces=[face.to_dict() for face in faces],
        analysis_ms=round(analysis_ms, 1),
    )


@bp.post("/api/webcam/sessions/<int:session_id>/stop")
@login_required
def stop(session_id: int):
    session = stop_session(owned_session_or_404(session_id))
    return jsonify(session_summary(session))


@bp.get("/api/webcam/sessions/<int:session_id>")
@login_required
def show(session_id: int):
    return jsonify(session_summary(owned_session_or_404(session_id)))


@bp.post("/webcam/sessions/<int:session_id>/delete")
@login_required
def delete(session_id: int):
    from flask import session as cookie_session

    from app.dashboard.undo import keep_for_undo

    webcam_session = owned_session_or_404(session_id)
    cookie_session["undo"] = keep_for_undo(webcam_session)
    delete_session(webcam_session)
    flash("Webcam session deleted.", "success")
    from app.auth.routes import safe_next_url

    return redirect(safe_next_url(request.form.get("next")) or url_for("dashboard.index"))
