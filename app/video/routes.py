"""Video pages: upload, progress then result, thumbnails, cancel and delete forms.
Thin: everything goes through app.video.jobs, as the JSON API does."""
from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.auth.routes import safe_next_url
from app.dashboard.undo import UNDO_MINUTES, can_undo_delete, keep_for_undo
from app.extensions import db
from app.models import VideoThumbnail
from app.video import bp, jobs


def owned_video_or_404(video_id: int):
    video = jobs.owned(current_user.id, video_id)
    if video is None:
        abort(404, description="No such video.")
    return video


@bp.route("/videos/new", methods=["GET", "POST"])
@login_required
def upload():
    """The upload page; the form posts here without JavaScript (the script uses the API)."""
    if request.method == "POST":
        try:
            video = jobs.upload(current_user, request.files.get("video"))
        except jobs.VideoError as error:
            flash(error.message, "error")
            return render_template("video/upload.html"), error.status
        return redirect(url_for("video.show", video_id=video.id), code=303)
    return render_template("video/upload.html")


@bp.get("/videos/<int:video_id>")
@login_required
def show(video_id: int):
    video = owned_video_or_404(video_id)
    job = jobs.status(video)
    thumbnails = set(db.session.scalars(db.select(VideoThumbnail.track_id).where(VideoThumbnail.video_id == video.id)))
    return render_template("video/show.html", video=video, job=job, tracks=job["tracks"], thumbnails=thumbnails,
                           undo_minutes=UNDO_MINUTES)


@bp.get("/videos/<int:video_id>/tracks/<int:track_id>.jpg")
@login_required
def thumbnail(video_id: int, track_id: int):
    video = owned_video_or_404(video_id)
    picture = db.session.get(VideoThumbnail, (video.id, track_id))
    if picture is None:
        abort(404)
    response = Response(picture.jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/videos/<int:video_id>/cancel")
@login_required
def cancel(video_id: int):
    video = owned_video_or_404(video_id)
    flash("Processing cancelled; the uploaded file was deleted." if jobs.cancel(video)
          else "The video had already finished.", "success")
    return redirect(url_for("video.show", video_id=video.id))


@bp.post("/videos/<int:video_id>/delete")
@login_required
def delete(video_id: int):
    video = owned_video_or_404(video_id)
    if can_undo_delete(video):
        session["undo"] = keep_for_undo(video)
    jobs.delete(video)
    flash("Video deleted.", "undoable")  # the dashboard's undo bar
    return redirect(safe_next_url(request.form.get("next")) or url_for("dashboard.index"))
