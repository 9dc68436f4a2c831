from urllib.parse import unquote

from flask import Response, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.dashboard import bp
from app.dashboard.export import analyses_to_csv, analyses_to_json
from app.auth.routes import safe_next_url
from app.dashboard.stats import DateRange, all_analyses, history_page, summary, zone_from
from app.dashboard.undo import UNDO_MINUTES, UndoError, latest_undo, undo


def date_range_from_request() -> DateRange:
    """Dates are days in the user's time zone: ?tz=, else the cookie the pages' script sets."""
    zone = zone_from(request.args.get("tz") or unquote(request.cookies.get("tz", "")))
    return DateRange.from_args(request.args, zone)


@bp.get("/")
@login_required
def index():
    date_range = date_range_from_request()
    bucket = request.args.get("bucket", "day")
    page = request.args.get("page", "1")
    history = history_page(current_user.id, date_range, int(page) if page.isdecimal() and len(page) < 10 else 1)
    filters = {key: value for key, value in request.args.items() if key in ("from", "to", "bucket", "preset") and value}
    return render_template(
        "dashboard/index.html",
        stats=summary(current_user.id, date_range, bucket),
        history=history,
        date_range=date_range,
        filters=filters,
        here=request.full_path if request.query_string else request.path,
        undo_item=latest_undo(current_user.id, session.pop("undo", None)),
        undo_minutes=UNDO_MINUTES,
    )


@bp.post("/undo/<int:item_id>")
@login_required
def undo_delete(item_id: int):
    """Put back what the last delete removed (within UNDO_MINUTES)."""
    try:
        kind = undo(current_user.id, item_id)
    except UndoError as error:
        flash(str(error), "error")
    else:
        flash("Webcam session restored." if kind == "webcam_session" else "Analysis restored.", "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("dashboard.index"))


@bp.get("/data.json")
@login_required
def data():
    """The chart data as JSON (the page embeds the same object; scripts can fetch it)."""
    return jsonify(summary(current_user.id, date_range_from_request(), request.args.get("bucket", "day")))


@bp.get("/export.csv")
@login_required
def export_csv():
    body = analyses_to_csv(all_analyses(current_user.id))
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="emotion-history.csv"'},
    )


@bp.get("/export.json")
@login_required
def export_json():
    response = jsonify(analyses_to_json(current_user, all_analyses(current_user.id, with_photos=True)))
    response.headers["Content-Disposition"] = 'attachment; filename="emotion-history.json"'
    return response
