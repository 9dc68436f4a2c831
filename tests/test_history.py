"""Dashboard history: webcam sessions as one row, paging, local time zone, presets, clear
messages for empty and reversed ranges, deleting that keeps the filters."""
from datetime import datetime, timedelta

from app.extensions import db
from app.models import Analysis, FaceResult, WebcamSession
from tests.test_dashboard import add_analysis, scores_for


def add_session(app, user_id, started, seconds, label="happy") -> tuple[int, list[int]]:
    """A stopped webcam session with one stored row per second, as the frame API leaves it."""
    with app.app_context():
        session = WebcamSession(user_id=user_id, started_at=started, ended_at=started + timedelta(seconds=seconds),
                                frames_analysed=seconds * 15)
        db.session.add(session)
        db.session.flush()
        ids = []
        for second in range(seconds):
            row = Analysis(user_id=user_id, created_at=started + timedelta(seconds=second), source="webcam",
                           image_width=640, image_height=480, frame_count=15, webcam_session_id=session.id)
            row.faces.append(FaceResult(face_index=0, x=1, y=2, w=50, h=60, label=label, confidence=0.88,
                                        **scores_for(label)))
            db.session.add(row)
            db.session.flush()
            ids.append(row.id)
        db.session.commit()
        return session.id, ids


def test_a_minute_of_webcam_is_one_history_row_that_expands_to_its_seconds(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["sad"], datetime(2026, 3, 1, 9), filename="photo-before.jpg")
    session_id, second_ids = add_session(app, user_id, datetime(2026, 3, 1, 10), 60)
    html = client.get("/dashboard/").get_data(as_text=True)
    assert html.count('class="history-row') == 2
    assert f'id="webcam-session-{session_id}"' in html
    assert "60 seconds with faces" in html
    for analysis_id in (second_ids[0], second_ids[-1]):
        assert f'href="/analyses/{analysis_id}"' in html
    assert "photo-before.jpg" in html  # the photo is not pushed out by the webcam seconds
    assert "webcam seconds with faces" in html


def test_history_pages_keep_the_filters(client, auth, app):
    user_id = auth.signup_and_login()
    for i in range(45):
        add_analysis(app, user_id, ["happy"], datetime(2026, 4, 1, 8) + timedelta(minutes=i), filename=f"p{i:02d}.jpg")
    first = client.get("/dashboard/?from=2026-04-01&to=2026-04-02").get_data(as_text=True)
    assert first.count('class="history-row') == 20
    assert "p44.jpg" in first and "p24.jpg" not in first
    assert "Page 1 of 3" in first
    assert "page=2" in first and "from=2026-04-01" in first
    third = client.get("/dashboard/?from=2026-04-01&to=2026-04-02&page=3").get_data(as_text=True)
    assert third.count('class="history-row') == 5 and "p00.jpg" in third
    # A page past the end shows the last one rather than an error.
    assert client.get("/dashboard/?page=99").status_code == 200


def test_each_history_row_links_to_its_own_page(client, auth, app):
    user_id = auth.signup_and_login()
    analysis_id = add_analysis(app, user_id, ["happy"], datetime(2026, 4, 1, 8), filename="linked.jpg")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f'href="/analyses/{analysis_id}">linked.jpg</a>' in html


def test_days_are_the_users_local_days(client, auth, app):
    user_id = auth.signup_and_login()
    add_analysis(app, user_id, ["happy"], datetime(2026, 3, 1, 23, 30))  # 00:30 on 2 March in Berlin
    utc = client.get("/dashboard/data.json?bucket=day").get_json()
    assert utc["timeline"]["labels"] == ["2026-03-01"] and utc["time_zone"] == "UTC"
    berlin = client.get("/dashboard/data.json?tz=Europe/Berlin&bucket=day").get_json()
    assert berlin["timeline"]["labels"] == ["2026-03-02"] and berlin["time_zone"] == "Europe/Berlin"
    # By the hour (one face: one hour), in local hours too.
    assert client.get("/dashboard/data.json?tz=Europe/Berlin").get_json()["timeline"]["labels"] == ["2026-03-02T00:00"]
    assert client.get("/dashboard/data.json?from=2026-03-02&to=2026-03-02&tz=Europe/Berlin").get_json()[
        "totals"]["faces"]["upload"] == 1
    # The pages' script sends the zone as a cookie; an unknown zone falls back to UTC.
    client.set_cookie("tz", "Europe/Berlin")
    assert "2026-</span>03-02 00:30" in client.get("/dashboard/").get_data(as_text=True)
    assert client.get("/dashboard/data.json?tz=Mars/Olympus").get_json()["time_zone"] == "UTC"


def test_presets_and_range_messages(client, auth, app):
    user_id = auth.signup_and_login()
    now = datetime.utcnow()
    add_analysis(app, user_id, ["happy"], now - timedelta(days=2), filename="recent.jpg")
    add_analysis(app, user_id, ["sad"], now - timedelta(days=20), filename="older.jpg")
    week = client.get("/dashboard/?preset=7d").get_data(as_text=True)
    assert "recent.jpg" in week and "older.jpg" not in week
    month = client.get("/dashboard/?preset=30d").get_data(as_text=True)
    assert "recent.jpg" in month and "older.jpg" in month
    assert len(client.get("/dashboard/data.json?preset=7d").get_json()["timeline"]["labels"]) == 7

    reversed_page = client.get("/dashboard/?from=2026-05-10&to=2026-05-01").get_data(as_text=True)
    assert "The start date is after the end date" in reversed_page
    assert "No faces yet" not in reversed_page
    assert client.get("/dashboard/data.json?from=2026-05-10&to=2026-05-01").get_json()["reversed"] is True

    empty = client.get("/dashboard/?from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert "Nothing between 2020-01-01 and 2020-01-31" in empty


def test_delete_asks_first_and_comes_back_to_the_same_filters(client, auth, app):
    user_id = auth.signup_and_login()
    analysis_id = add_analysis(app, user_id, ["happy"], datetime(2026, 4, 1, 8), filename="gone.jpg")
    session_id, _ = add_session(app, user_id, datetime(2026, 4, 1, 9), 3)
    html = client.get("/dashboard/?from=2026-04-01&bucket=week").get_data(as_text=True)
    assert 'data-confirm="Delete the analysis of gone.jpg?' in html
    assert 'name="next" value="/dashboard/?from=2026-04-01&amp;bucket=week"' in html
    response = client.post(f"/analyses/{analysis_id}/delete", data={"next": "/dashboard/?from=2026-04-01&bucket=week"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/?from=2026-04-01&bucket=week"
    response = client.post(f"/webcam/sessions/{session_id}/delete", data={"next": "/dashboard/?preset=7d"})
    assert response.headers["Location"] == "/dashboard/?preset=7d"
    # Somewhere else entirely is not a place to come back to.
    other = add_analysis(app, user_id, ["sad"], datetime(2026, 4, 2, 8))
    response = client.post(f"/analyses/{other}/delete", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/dashboard/"


def test_someone_elses_sessions_and_photos_stay_hidden(client, auth, app):
    owner = auth.signup_and_login("owner")
    session_id, seconds = add_session(app, owner, datetime(2026, 4, 1, 9), 2)
    auth.logout()
    auth.signup_and_login("intruder")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f"webcam-session-{session_id}" not in html
    assert client.get(f"/analyses/{seconds[0]}").status_code == 404
    assert client.get(f"/analyses/batch?ids={seconds[0]},{seconds[1]}").status_code == 404


def test_undo_puts_a_deleted_analysis_back_with_its_id_faces_and_photo(client, auth, app):
    from app.models import AnalysisPhoto, DeletedItem

    user_id = auth.signup_and_login()
    analysis_id = add_analysis(app, user_id, ["happy", "sad"], datetime(2026, 4, 1, 8), filename="back.jpg")
    with app.app_context():
        db.session.add(AnalysisPhoto(analysis_id=analysis_id, jpeg=b"\xff\xd8photo", width=96, height=72))
        db.session.commit()
    client.post(f"/analyses/{analysis_id}/delete", data={"next": "/dashboard/?bucket=week"})
    html = client.get("/dashboard/?bucket=week").get_data(as_text=True)
    assert "You can undo this for 10 minutes." in html and "back.jpg" not in html
    item_id = int(html.split('action="/dashboard/undo/')[1].split('"')[0])
    # Only once, and only on the page right after the delete.
    assert "You can undo this" not in client.get("/dashboard/").get_data(as_text=True)

    response = client.post(f"/dashboard/undo/{item_id}", data={"next": "/dashboard/?bucket=week"})
    assert response.headers["Location"] == "/dashboard/?bucket=week"
    assert "Analysis restored." in client.get("/dashboard/").get_data(as_text=True)
    restored = client.get(f"/api/analyses/{analysis_id}").get_json()
    assert restored["filename"] == "back.jpg" and [f["label"] for f in restored["faces"]] == ["happy", "sad"]
    assert client.get(f"/analyses/{analysis_id}/photo.jpg").data == b"\xff\xd8photo"
    with app.app_context():
        assert db.session.query(DeletedItem).count() == 0

    client.post(f"/dashboard/undo/{item_id}")
    assert "nothing to undo" in client.get("/dashboard/").get_data(as_text=True)


def test_undo_a_webcam_session_and_its_limits(client, auth, app):
    from app.dashboard import undo as undo_module
    from app.models import DeletedItem

    owner = auth.signup_and_login("owner")
    session_id, seconds = add_session(app, owner, datetime(2026, 4, 1, 9), 5)
    client.post(f"/webcam/sessions/{session_id}/delete")
    with app.app_context():
        item_id = db.session.query(DeletedItem.id).scalar()
        assert db.session.get(WebcamSession, session_id) is None
        assert db.session.query(Analysis).count() == 0  # its seconds went with it, none orphaned

    auth.logout()
    auth.signup_and_login("other")
    client.post(f"/dashboard/undo/{item_id}")
    assert "nothing to undo" in client.get("/dashboard/").get_data(as_text=True)
    auth.logout()
    auth.login("owner")

    client.post(f"/dashboard/undo/{item_id}")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert "Webcam session restored." in html and "5 seconds with faces" in html
    assert client.get(f"/analyses/{seconds[-1]}").status_code == 200

    # After the window the copy is gone for good.
    client.post(f"/webcam/sessions/{session_id}/delete")
    with app.app_context():
        item_id = db.session.query(DeletedItem.id).scalar()
        later = datetime.utcnow() + timedelta(minutes=undo_module.UNDO_MINUTES + 1)
        try:
            undo_module.undo(owner, item_id, now=later)
        except undo_module.UndoError:
            pass
        else:
            raise AssertionError("an expired delete was undone")
