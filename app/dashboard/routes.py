from flask import Response, jsonify, render_template, request
from flask_login import current_user, login_required

from app.dashboard import bp
from app.dashboard.export import analyses_to_csv, analyses_to_json
from app.dashboard.stats import DateRange, all_analyses, recent_analyses, summary
from app.webcam.sessions import recent_sessions


@bp.get("/")
@login_required
def index():
    date_range = DateRange.from_args(request.args)
    bucket = request.args.get("bucket", "day")
    return render_template(
        "dashboard/index.html",
        stats=summary(current_user.id, date_range, bucket),
        analyses=recent_analyses(current_user.id, date_range),
        webcam_sessions=recent_sessions(current_user.id, date_range),
        date_range=date_range,
    )


@bp.get("/data.json")
@login_required
def data():
    """The chart data as JSON (the page embeds the same object; scripts can fetch it)."""
    return jsonify(summary(current_user.id, DateRange.from_args(request.args), request.args.get("bucket", "day")))


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
    response = jsonify(analyses_to_json(current_user, all_analyses(current_user.id)))
    response.headers["Content-Disposition"] = 'attachment; filename="emotion-history.json"'
    return response
