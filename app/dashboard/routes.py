from urllib.parse import unquote

from flask import Response, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.dashboard import bp
from app.dashboard.export import analyses_to_csv, analyses_to_json
from app.auth.routes import safe_next_url
from app.dashboard.stats import DateRange, all_analyses, history_page, summary, zone_from
from app.models import EMOTION_COLUMNS, SOURCES

FILTER_KEYS = ("from", "to", "bucket", "preset", "source", "emotion")
from app.dashboard.undo import UNDO_MINUTES, UndoError, latest_undo, undo


def date_range_from_request() -> DateRange:
    """Dates are days in the user's time zone: ?tz=, else the cookie the pages' script sets."""
    zone = zone_from(request.args.get("tz") or unquote(request.cookies.get("tz", "")))
    return DateRange.from_args(request.args, zone)


def source_and_emotion() -> tuple[str | None, str | None]:
    """The history's filters; unknown values are no filter."""
    source, emotion = request.args.get("source"), request.args.get("emotion")
    return (source if source in SOURCES else None), (emotion if emotion in EMOTION_COLUMNS else None)


@bp.get("/")
@login_required
def index():
    date_range = date_range_from_request()
    bucket = request.args.get("bucket", "auto")
    page = request.args.get("page", "1")
    source, emotion = source_and_emotion()
    history = history_page(current_user.id, date_range, int(page) if page.isdecimal() and len(page) < 10 else 1,
                           source=source, emotion=emotion)
    filters = {key: value for key, value in request.args.items() if key in FILTER_KEYS and value}
    export_filters = {key: value for key, value in filters.items() if key != "bucket"}
    return render_template(
        "dashboard/index.html",
        stats=summary(current_user.id, date_range, bucket, source),
        history=history,
        date_range=date_range,
        filters=filters,
        export_filters=export_filters,
        source=source,
        emotion=emotion,
        bucket_choice=bucket if bucket in ("auto", "hour", "day", "week") else "auto",
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
        restored = {"webcam_session": "Webcam session", "video": "Video"}.get(kind, "Analysis")
        flash(f"{restored} restored.", "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("dashboard.index"))


@bp.get("/data.json")
@login_required
def data():
    """The chart data as JSON (the page embeds the same object; scripts can fetch it)."""
    source, _emotion = source_and_emotion()
    return jsonify(summary(current_user.id, date_range_from_request(), request.args.get("bucket", "auto"), source))


def exported_analyses(with_photos: bool = False):
    """Everything, or what the dashboard's filters in the query (days, source, expression) show."""
    source, emotion = source_and_emotion()
    return all_analyses(current_user.id, with_photos, date_range_from_request(), source, emotion)


@bp.get("/export.csv")
@login_required
def export_csv():
    body = analyses_to_csv(exported_analyses())
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="emotion-history.csv"'},
    )


@bp.get("/export.json")
@login_required
def export_json():
    response = jsonify(analyses_to_json(current_user, exported_analyses(with_photos=True)))
    response.headers["Content-Disposition"] = 'attachment; filename="emotion-history.json"'
    return response
