import csv
import io
import json
from datetime import datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Analysis, FaceResult, WebcamSession
from tests.conftest import AuthActions


def scores_for(label: str) -> dict:
    scores = {e: 0.02 for e in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")}
    scores[label] = 0.88
    return scores


def add_analysis(app, user_id, labels, when, source="upload", filename="pic.jpg", session_id=None) -> int:
    with app.app_context():
        analysis = Analysis(
            user_id=user_id, created_at=when, source=source, filename=filename,
            image_width=640, image_height=480, webcam_session_id=session_id,
            frame_count=1 if source == "upload" else 12,
        )
        for index, label in enumerate(labels):
            analysis.faces.append(
                FaceResult(face_index=index, x=10 * index, y=5, w=50, h=60, label=label, confidence=0.88, **scores_for(label))
            )
        db.session.add(analysis)
        db.session.commit()
        return analysis.id


def test_dashboard_charts_own_data_by_source_and_day(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["happy", "sad"], datetime(2026, 3, 2, 10))
    add_analysis(app, user_id, ["happy"], datetime(2026, 3, 4, 9))
    with app.app_context():
        session = WebcamSession(user_id=user_id, started_at=datetime(2026, 3, 4, 12), frames_analysed=24)
        db.session.add(session)
        db.session.commit()
        session_id = session.id
    add_analysis(app, user_id, ["surprise"], datetime(2026, 3, 4, 12, 0, 1), source="webcam", filename=None, session_id=session_id)

    data = client.get("/dashboard/data.json").get_json()
    emotions = data["emotions"]
    assert data["totals"] == {"analyses": {"upload": 2, "webcam": 1, "video": 0},
                              "faces": {"upload": 3, "webcam": 1, "video": 0}}
    assert data["distribution"]["upload"][emotions.index("happy")] == 2
    assert data["distribution"]["upload"][emotions.index("sad")] == 1
    assert data["distribution"]["webcam"][emotions.index("surprise")] == 1
    # A day without faces stays on the time axis as a gap.
    assert data["timeline"]["labels"] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert data["timeline"]["series"]["happy"] == [1, 0, 1]
    assert data["timeline"]["series"]["surprise"] == [0, 0, 1]

    weekly = client.get("/dashboard/data.json?bucket=week").get_json()
    assert weekly["timeline"]["labels"] == ["2026-03-02"]  # Monday of that week
    assert weekly["timeline"]["series"]["happy"] == [2]

    page = client.get("/dashboard/").get_data(as_text=True)
    assert 'id="distribution-chart"' in page and 'id="dashboard-data"' in page
    assert "source-webcam" in page and "source-upload" in page


def test_date_range_filter(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["angry"], datetime(2026, 1, 10, 23, 59))
    add_analysis(app, user_id, ["fear"], datetime(2026, 2, 10, 8))
    data = client.get("/dashboard/data.json?from=2026-01-10&to=2026-01-10").get_json()
    assert data["totals"]["faces"]["upload"] == 1
    # One day is drawn by the hour (23:00 holds the face), unless days are asked for.
    assert data["bucket"] == "hour" and len(data["timeline"]["labels"]) == 24
    assert data["timeline"]["labels"][23] == "2026-01-10T23:00"
    assert data["timeline"]["series"]["angry"] == [0] * 23 + [1]
    daily = client.get("/dashboard/data.json?from=2026-01-10&to=2026-01-10&bucket=day").get_json()
    assert daily["timeline"]["series"]["angry"] == [1]
    data = client.get("/dashboard/data.json?from=2026-02-01").get_json()
    assert data["timeline"]["labels"][0] == "2026-02-01" and data["timeline"]["labels"][-1] == "2026-02-10"
    assert data["timeline"]["series"]["fear"] == [0] * 9 + [1]
    # An unreadable date is ignored rather than an error.
    assert client.get("/dashboard/data.json?from=yesterday").status_code == 200
    page = client.get("/dashboard/?from=2026-02-01&to=2026-02-28").get_data(as_text=True)
    assert 'value="2026-02-01"' in page
    assert "fear 88%" in page and "angry 88%" not in page


def test_owner_isolation(app, client, auth):
    alice_id = auth.signup_and_login("alice")
    private = add_analysis(app, alice_id, ["sad"], datetime(2026, 5, 1), filename="alice-secret.jpg")
    auth.logout()

    mallory = AuthActions(app.test_client())
    mallory.signup_and_login("mallory")
    other = mallory.client
    assert other.get(f"/api/analyses/{private}").status_code == 404
    assert other.delete(f"/api/analyses/{private}").status_code == 404
    assert other.post(f"/analyses/{private}/delete").status_code == 404
    assert other.get("/api/analyses/999999").status_code == 404
    assert "alice-secret.jpg" not in other.get("/dashboard/").get_data(as_text=True)
    assert other.get("/dashboard/data.json").get_json()["totals"]["faces"]["upload"] == 0
    assert "alice-secret" not in other.get("/dashboard/export.csv").get_data(as_text=True)
    assert other.get("/dashboard/export.json").get_json()["analyses"] == []
    with app.app_context():
        assert db.session.get(Analysis, private) is not None


def test_owner_can_delete(app, client, auth):
    user_id = auth.signup_and_login()
    first = add_analysis(app, user_id, ["happy"], datetime(2026, 5, 1))
    second = add_analysis(app, user_id, ["sad"], datetime(2026, 5, 2))
    response = client.post(f"/analyses/{first}/delete")
    assert response.status_code == 302
    assert client.delete(f"/api/analyses/{second}").status_code == 204
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Analysis)) == 0
        assert db.session.scalar(select(func.count()).select_from(FaceResult)) == 0


def test_export_csv_and_json(app, client, auth):
    user_id = auth.signup_and_login()
    with_faces = add_analysis(app, user_id, ["happy", "neutral"], datetime(2026, 6, 1, 12), filename="group.jpg")
    without = add_analysis(app, user_id, [], datetime(2026, 6, 2, 12), filename="empty.png")

    response = client.get("/dashboard/export.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(int(r["analysis_id"]), r["face_index"], r["label"]) for r in rows] == [
        (with_faces, "0", "happy"), (with_faces, "1", "neutral"), (without, "", ""),
    ]
    assert rows[0]["created_at_utc"] == "2026-06-01T12:00:00"
    assert rows[0]["source"] == "upload" and rows[0]["filename"] == "group.jpg"
    assert float(rows[0]["happy"]) == 0.88 and float(rows[0]["sad"]) == 0.02
    assert (rows[1]["x"], rows[1]["w"], rows[1]["h"]) == ("10", "50", "60")

    response = client.get("/dashboard/export.json")
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["user"]["username"] == "alice"
    assert [a["id"] for a in data["analyses"]] == [with_faces, without]
    first = data["analyses"][0]
    assert first["created_at"] == "2026-06-01T12:00:00Z"
    assert [f["label"] for f in first["faces"]] == ["happy", "neutral"]
    assert first["faces"][1]["scores"]["neutral"] == 0.88
    assert data["analyses"][1]["faces"] == []


def test_dashboard_requires_login(client):
    assert client.get("/dashboard/data.json").status_code == 401
    assert client.get("/dashboard/export.csv").status_code == 302


def test_videos_are_a_source_of_their_own_in_the_filter_and_the_time_chart(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["happy"], datetime(2026, 3, 2, 10))
    page = client.get("/dashboard/?from=2026-03-01&to=2026-03-05").get_data(as_text=True)
    assert '<option value="video" >Videos</option>' in page
    assert 'data-timeline-source="video"' not in page  # no video yet: no empty choice

    add_analysis(app, user_id, ["sad", "sad"], datetime(2026, 3, 3, 10), source="video", filename="clip.mp4")
    page = client.get("/dashboard/?from=2026-03-01&to=2026-03-05").get_data(as_text=True)
    assert 'data-timeline-source="video"' in page
    only_videos = client.get("/dashboard/data.json?source=video&from=2026-03-01&to=2026-03-05").get_json()
    assert only_videos["source"] == "video"
    assert only_videos["totals"]["faces"] == {"upload": 0, "webcam": 0, "video": 2}
    page = client.get("/dashboard/?source=video&from=2026-03-01&to=2026-03-05").get_data(as_text=True)
    assert '<option value="video" selected>Videos</option>' in page
    assert "clip.mp4" in page and "pic.jpg" not in page

    photos_only = client.get("/dashboard/?source=upload&from=2026-03-01&to=2026-03-05").get_data(as_text=True)
    assert "pic.jpg" in photos_only and "clip.mp4" not in photos_only
