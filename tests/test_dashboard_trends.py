"""The dashboard compares rather than only counts: per-source series for shares, hours for a day
or two, one message instead of empty charts, filters by source and expression for the history
and the export (of the view, or of everything)."""
import csv
import io
from datetime import datetime

from app.extensions import db
from app.models import WebcamSession
from tests.conftest import bearer, make_token
from tests.test_dashboard import add_analysis


def webcam_session(app, user_id, when, labels):
    with app.app_context():
        session = WebcamSession(user_id=user_id, started_at=when, ended_at=when, frames_analysed=10)
        db.session.add(session)
        db.session.commit()
        session_id = session.id
    for second, label in enumerate(labels):
        add_analysis(app, user_id, [label], when.replace(second=second), source="webcam", filename=None,
                     session_id=session_id)
    return session_id


def test_series_per_source_and_hours_for_a_short_span(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["happy"], datetime(2026, 3, 4, 9, 15))
    webcam_session(app, user_id, datetime(2026, 3, 4, 11, 0, 0), ["sad"] * 12)
    data = client.get("/dashboard/data.json").get_json()  # all time, but the data spans one day
    assert data["bucket"] == "hour"
    assert data["timeline"]["labels"] == [f"2026-03-04T{hour:02d}:00" for hour in (9, 10, 11)]
    by_source = data["timeline"]["by_source"]
    assert by_source["upload"]["happy"] == [1, 0, 0] and by_source["webcam"]["sad"] == [0, 0, 12]
    assert data["timeline"]["series"]["sad"] == [0, 0, 12]
    # Only one source.
    photos = client.get("/dashboard/data.json?source=upload").get_json()
    assert photos["source"] == "upload" and photos["totals"]["faces"]["upload"] == 1
    assert not any(count for source, count in photos["totals"]["faces"].items() if source != "upload")
    # Three days or more are drawn per day; a week asked for is a week.
    add_analysis(app, user_id, ["fear"], datetime(2026, 3, 7, 9))
    assert client.get("/dashboard/data.json").get_json()["bucket"] == "day"
    assert client.get("/dashboard/data.json?bucket=week").get_json()["timeline"]["labels"] == ["2026-03-02"]
    assert client.get("/dashboard/data.json?bucket=nonsense").status_code == 200


def test_an_empty_range_is_one_message_without_tiles_or_charts(client, auth):
    auth.signup_and_login()
    page = client.get("/dashboard/?from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert "Nothing between 2020-01-01 and 2020-01-31" in page
    assert 'id="distribution-chart"' not in page and 'class="stats"' not in page
    assert 'id="dashboard-data"' not in page


def test_history_filters_by_source_and_expression(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["happy"], datetime(2026, 3, 1, 9), filename="smile.jpg")
    add_analysis(app, user_id, ["angry"], datetime(2026, 3, 2, 9), filename="grumpy.jpg")
    session_id = webcam_session(app, user_id, datetime(2026, 3, 3, 9), ["surprise", "happy"])
    page = client.get("/dashboard/?emotion=happy").get_data(as_text=True)
    assert "smile.jpg" in page and "grumpy.jpg" not in page and f"webcam-session-{session_id}" in page
    page = client.get("/dashboard/?emotion=happy&source=upload").get_data(as_text=True)
    assert "smile.jpg" in page and f"webcam-session-{session_id}" not in page
    page = client.get("/dashboard/?source=webcam").get_data(as_text=True)
    assert "smile.jpg" not in page and f"webcam-session-{session_id}" in page
    # Unknown values are no filter, never an error.
    assert "grumpy.jpg" in client.get("/dashboard/?emotion=bored&source=fax").get_data(as_text=True)


def test_export_of_the_view_and_of_everything(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["happy"], datetime(2026, 3, 1, 9), filename="march.jpg")
    add_analysis(app, user_id, ["angry"], datetime(2026, 4, 1, 9), filename="april.jpg")
    page = client.get("/dashboard/?from=2026-03-01&to=2026-03-31&emotion=happy").get_data(as_text=True)
    assert 'href="/dashboard/export.csv?from=2026-03-01&amp;to=2026-03-31&amp;emotion=happy"' in page
    assert 'href="/dashboard/export.csv"' in page  # everything
    view = client.get("/dashboard/export.csv?from=2026-03-01&to=2026-03-31&emotion=happy").get_data(as_text=True)
    assert [row["filename"] for row in csv.DictReader(io.StringIO(view))] == ["march.jpg"]
    everything = client.get("/dashboard/export.json").get_json()["analyses"]
    assert [item["filename"] for item in everything] == ["march.jpg", "april.jpg"]
    assert client.get("/dashboard/export.json?source=webcam").get_json()["analyses"] == []
    token = make_token(app, user_id, scopes=("read",))
    api = client.get("/api/v1/export?from=2026-04-01", headers=bearer(token)).get_json()["analyses"]
    assert [item["filename"] for item in api] == ["april.jpg"]
    assert client.get("/api/v1/export.csv?emotion=bored", headers=bearer(token)).status_code == 422
