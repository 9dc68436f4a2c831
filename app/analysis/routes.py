"""Pages: landing, upload form, one analysis, a batch of analyses, the kept photo, deleting.

Uploading follows Post/Redirect/Get: the POST stores the results and redirects to the page of
the one analysis (or of the batch), so reloading a result page never uploads again.
"""
import uuid

from flask import Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.analysis import bp
from app.analysis.example import example_result
from app.analysis.idempotency import analyse_once, clean_key
from app.analysis.ownership import owned_analysis_or_404
from app.analysis.service import (
    UploadError,
    delete_analysis,
    get_owned_analyses,
    set_keep_photos,
    uploads_from_files,
)
from app.auth.routes import safe_next_url
from app.dashboard.undo import UNDO_MINUTES, can_undo_delete, keep_for_undo
from app.extensions import db
from app.inputs import is_row_id
from app.models import Video

MAX_BATCH_IDS = 100


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("analysis.upload"))
    return render_template("index.html", example=example_result())


@bp.route("/analyze", methods=["GET", "POST"])
@login_required
def upload():
    if request.method == "GET":
        return render_template("analysis/upload.html", upload_key=new_upload_key())
    try:
        # The form carries a key made when it was shown: sending it twice stores the pictures once.
        key = clean_key(request.headers.get("Idempotency-Key") or request.form.get("idempotency_key"))
        uploads = uploads_from_files(
            request.files.getlist("image"), current_app.config["MAX_FILES_PER_UPLOAD"]
        )
        outcomes, _replayed = analyse_once(current_user, key, uploads, current_app.config["MAX_IMAGE_PIXELS"])
    except UploadError as error:
        flash(error.message, "error")
        return render_template("analysis/upload.html", upload_key=new_upload_key()), error.status
    stored = [outcome.analysis.id for outcome in outcomes if outcome.ok]
    refused = [outcome for outcome in outcomes if not outcome.ok]
    for outcome in refused:
        flash(outcome.error, "error")
    if not stored:
        statuses = {outcome.status for outcome in refused}
        return (render_template("analysis/upload.html", upload_key=new_upload_key()),
                statuses.pop() if len(statuses) == 1 else 400)
    if len(outcomes) == 1:
        return redirect(url_for("analysis.show", analysis_id=stored[0]), code=303)
    return redirect(url_for("analysis.batch", ids=",".join(map(str, stored))), code=303)


def new_upload_key() -> str:
    return f"form-{uuid.uuid4()}"


@bp.get("/analyses/<int:analysis_id>")
@login_required
def show(analysis_id: int):
    return render_template("analysis/show.html", analysis=owned_analysis_or_404(analysis_id),
                           undo_minutes=UNDO_MINUTES)


@bp.get("/analyses/batch")
@login_required
def batch():
    """Several analyses on one page: ?ids=3,4,5 (only the user's own are shown)."""
    ids = [int(part) for part in request.args.get("ids", "").split(",") if is_row_id(part.strip())]
    analyses = get_owned_analyses(current_user, ids[:MAX_BATCH_IDS])
    if not analyses:
        abort(404)
    return render_template("analysis/batch.html", analyses=analyses)


@bp.get("/analyses/<int:analysis_id>/photo.jpg")
@login_required
def photo(analysis_id: int):
    analysis = owned_analysis_or_404(analysis_id)
    if analysis.photo is None:
        abort(404, description="This analysis kept no photo.")
    response = Response(analysis.photo.jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/analyses/<int:analysis_id>/delete")
@login_required
def delete(analysis_id: int):
    analysis = owned_analysis_or_404(analysis_id)
    # A video's history row goes with its whole video, so Undo keeps (and brings back) the video.
    video = db.session.get(Video, analysis.video_id) if analysis.video_id is not None else None
    deleted = video if video is not None else analysis
    if can_undo_delete(deleted):
        session["undo"] = keep_for_undo(deleted)
    delete_analysis(analysis)
    flash("Video deleted." if video is not None else "Analysis deleted.", "undoable")  # the dashboard's undo bar
    return redirect(safe_next_url(request.form.get("next")) or url_for("dashboard.index"))


@bp.post("/settings/photos")
@login_required
def photo_setting():
    keep = request.form.get("keep_photos") == "on"
    set_keep_photos(current_user, keep)
    flash("Your photos will now be kept with their analyses." if keep
          else "New photos will not be kept. Photos already kept stay until you delete their analyses.",
          "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("auth.account"))
