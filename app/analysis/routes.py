"""Pages: landing, upload form, result page, deleting one analysis."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.analysis import bp
from app.analysis.ownership import owned_analysis_or_404
from app.analysis.service import (
    UploadError,
    analyse_and_store,
    decode_uploads,
    delete_analysis,
    uploads_from_files,
)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("analysis.upload"))
    return render_template("index.html")


@bp.route("/analyze", methods=["GET", "POST"])
@login_required
def upload():
    if request.method == "GET":
        return render_template("analysis/upload.html")
    try:
        uploads = uploads_from_files(
            request.files.getlist("image"), current_app.config["MAX_FILES_PER_UPLOAD"]
        )
        images = decode_uploads(uploads, current_app.config["MAX_IMAGE_PIXELS"])
    except UploadError as error:
        flash(error.message, "error")
        return render_template("analysis/upload.html"), error.status
    results = analyse_and_store(current_user, images, source="upload")
    return render_template("analysis/results.html", results=results)


@bp.post("/analyses/<int:analysis_id>/delete")
@login_required
def delete(analysis_id: int):
    analysis = owned_analysis_or_404(analysis_id)
    delete_analysis(analysis)
    flash("Analysis deleted.", "success")
    return redirect(url_for("dashboard.index"))
