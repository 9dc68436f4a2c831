"""Pages of the webcam feature; its JSON calls (start, frames, stop, read) are in
app.api_v1.webcam, thin wrappers around app.webcam.sessions and app.webcam.frames."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.vision.confidence import MIN_CONFIDENCE, MIN_MARGIN
from app.webcam import bp
from app.webcam.sessions import delete_session, get_owned_session

# Longest side the page scales frames to before sending (the detector searches at 320 anyway).
FRAME_SIDE = 640


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


@bp.post("/webcam/sessions/<int:session_id>/delete")
@login_required
def delete(session_id: int):
    from flask import session as cookie_session

    from app.dashboard.undo import keep_for_undo

    webcam_session = owned_session_or_404(session_id)
    cookie_session["undo"] = keep_for_undo(webcam_session)
    delete_session(webcam_session)
    flash("Webcam session deleted.", "undoable")  # shown as the undo bar on the dashboard
    from app.auth.routes import safe_next_url

    return redirect(safe_next_url(request.form.get("next")) or url_for("dashboard.index"))
