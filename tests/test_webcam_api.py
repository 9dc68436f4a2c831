"""The webcam frame API: sessions, frames with and without faces, bad frames, access rules, and
the per-second aggregation that keeps history at one row per second of camera time with faces."""
from datetime import datetime, timedelta
from functools import lru_cache

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Analysis, FaceResult, WebcamSession
from app.webcam import sessions as webcam_sessions
from tests import images
from tests.conftest import csrf_token_from
from tests.faces import astronaut_bgr, blank_photo, png_claiming_size


def jpeg(image, quality: int = 80) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()


def webcam_frame(image):
    """Like the page does: fit the picture into 640x480."""
    height, width = image.shape[:2]
    scale = min(640 / width, 480 / height)
    return cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)


@lru_cache(maxsize=None)
def astronaut_frame() -> bytes:
    return jpeg(webcam_frame(astronaut_bgr()))


@lru_cache(maxsize=None)
def two_faces_frame() -> bytes:
    """Two people at webcam distance: the astronaut's head twice (once mirrored) on a 640x480 frame.

    (tests.faces.two_face_photo shrunk to 640 pixels has a face too small for the fast webcam
    detection setting, like a person far behind the user.)
    """
    head = astronaut_bgr()[0:260, 95:355]  # her head and shoulders
    canvas = np.full((480, 640, 3), 190, np.uint8)
    canvas[60:360, 10:310] = cv2.resize(head, (300, 300), interpolation=cv2.INTER_AREA)
    canvas[120:380, 360:620] = cv2.flip(cv2.resize(head, (260, 260), interpolation=cv2.INTER_AREA), 1)
    return jpeg(canvas)


def start_session(client) -> int:
    response = client.post("/api/webcam/sessions")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def send_frame(client, session_id: int, data: bytes, content_type: str = "image/jpeg", **headers):
    return client.post(
        f"/api/webcam/sessions/{session_id}/frames", data=data, content_type=content_type, headers=headers
    )


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


class FixedClock:
    """Stands in for the server's clock so tests decide which second a frame falls in."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fixed = FixedClock(datetime(2026, 3, 1, 12, 0, 0, 250000))
    monkeypatch.setattr(webcam_sessions, "utcnow", fixed)
    return fixed


def test_webcam_page_explains_before_asking(client, auth):
    auth.signup_and_login()
    html = client.get("/webcam").get_data(as_text=True)
    assert "no image is ever stored" in html
    # A short note comes before the controls (which must fit above the fold on a phone);
    # the full explanation follows them.
    assert html.index("Nothing is sent until you press Start camera") < html.index('id="webcam-start"')
    assert "What happens to the camera images" in html
    assert 'id="frame-counter"' in html
    assert "js/webcam.js" in html


def test_frame_with_one_face(client, auth, app):
    auth.signup_and_login()
    session_id = start_session(client)
    response = send_frame(client, session_id, astronaut_frame())
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["width"], body["height"]) == (480, 480)
    assert len(body["faces"]) == 1
    face = body["faces"][0]
    assert set(face["scores"]) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
    assert face["label"] == max(face["scores"], key=face["scores"].get)
    assert face["uncertain"] is False  # a clear smile; the rule itself is tested in tests/training
    assert count(app, Analysis, Analysis.source == "webcam") == 1


def test_frame_with_two_faces(client, auth, app):
    auth.signup_and_login()
    session_id = start_session(client)
    body = send_frame(client, session_id, two_faces_frame()).get_json()
    assert len(body["faces"]) == 2
    areas = [face["box"]["w"] * face["box"]["h"] for face in body["faces"]]
    assert areas == sorted(areas, reverse=True)
    with app.app_context():
        row = db.session.scalars(select(Analysis)).one()
        assert [face.face_index for face in row.faces] == [0, 1]


def test_frame_without_face_is_a_normal_answer_and_stores_no_second(client, auth, app):
    auth.signup_and_login()
    session_id = start_session(client)
    response = send_frame(client, session_id, jpeg(blank_photo()))
    assert response.status_code == 200
    assert response.get_json()["faces"] == []
    assert count(app, Analysis) == 0
    with app.app_context():
        assert db.session.get(WebcamSession, session_id).frames_analysed == 1


@pytest.mark.parametrize(
    ("data", "content_type", "status", "message"),
    [
        (b"", "image/jpeg", 400, "empty"),
        (b"this is not a picture", "image/jpeg", 400, "not an image"),
        (None, "image/jpeg", 400, "truncated"),  # None: a truncated JPEG, see below
        (images.one_pixel_png(), "image/png", 400, "at least"),
        (png_claiming_size(4000, 4000), "image/png", 413, "downscale"),
        (b"x" * (2 * 1024 * 1024 + 1), "image/jpeg", 413, "larger than"),
        (b"hello", "text/plain", 415, "Content-Type image/jpeg"),
    ],
)
def test_bad_frames_get_clear_4xx_json(client, auth, app, data, content_type, status, message):
    auth.signup_and_login()
    session_id = start_session(client)
    if data is None:
        data = images.truncated_jpeg()
    response = send_frame(client, session_id, data, content_type)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert count(app, Analysis) == 0


def test_unauthenticated_frames_get_401_json_and_the_page_redirects(client, auth, app):
    auth.signup_and_login()
    session_id = start_session(client)
    auth.logout()
    response = send_frame(client, session_id, astronaut_frame())
    assert response.status_code == 401
    assert response.get_json()["error"]
    assert client.post("/api/webcam/sessions").status_code == 401
    page = client.get("/webcam")
    assert page.status_code == 302
    assert "/auth/login" in page.headers["Location"]
    assert count(app, Analysis) == 0


def test_another_users_session_is_404(app, auth, client):
    auth.signup_and_login("alice")
    alice_session = start_session(client)
    auth.logout()
    auth.signup_and_login("bob")
    assert send_frame(client, alice_session, astronaut_frame()).status_code == 404
    assert client.post(f"/api/webcam/sessions/{alice_session}/stop").status_code == 404
    assert client.get(f"/api/webcam/sessions/{alice_session}").status_code == 404
    assert client.post(f"/webcam/sessions/{alice_session}/delete").status_code == 404
    assert send_frame(client, 999_999, astronaut_frame()).status_code == 404
    with app.app_context():
        session = db.session.get(WebcamSession, alice_session)
        assert session.frames_analysed == 0 and session.ended_at is None


def test_frames_after_stop_are_refused(client, auth, app):
    auth.signup_and_login()
    session_id = start_session(client)
    assert client.post(f"/api/webcam/sessions/{session_id}/stop").status_code == 200
    response = send_frame(client, session_id, astronaut_frame())
    assert response.status_code == 409
    assert "ended" in response.get_json()["error"]


def test_frames_of_one_second_become_one_row(client, auth, app, clock):
    auth.signup_and_login()
    session_id = start_session(client)
    for offset_ms in (0, 200, 400, 700):  # all within the session's first second
        clock.now = datetime(2026, 3, 1, 12, 0, 0, 250000) + timedelta(milliseconds=offset_ms)
        assert send_frame(client, session_id, astronaut_frame()).status_code == 200
    clock.now += timedelta(milliseconds=100)
    assert send_frame(client, session_id, jpeg(blank_photo())).status_code == 200
    clock.now = datetime(2026, 3, 1, 12, 0, 1, 300000)  # the next second
    assert send_frame(client, session_id, two_faces_frame()).status_code == 200

    with app.app_context():
        rows = db.session.scalars(select(Analysis).order_by(Analysis.created_at)).all()
        assert [row.frame_count for row in rows] == [4, 1]
        assert [len(row.faces) for row in rows] == [1, 2]
        assert rows[0].created_at == datetime(2026, 3, 1, 12, 0, 0, 250000)
        assert rows[1].created_at == datetime(2026, 3, 1, 12, 0, 1, 250000)
        assert all(row.source == "webcam" and row.webcam_session_id == session_id for row in rows)
        assert db.session.get(WebcamSession, session_id).frames_analysed == 6
        face = rows[0].faces[0]
        assert sum(face.scores.values()) == pytest.approx(1.0, abs=1e-4)
        assert face.label == max(face.scores, key=face.scores.get)

    summary = client.post(f"/api/webcam/sessions/{session_id}/stop").get_json()
    assert summary["frames_analysed"] == 6
    assert summary["seconds_with_faces"] == 2
    assert summary["frames_with_faces"] == 5


class FakeFace:
    def __init__(self, box, **scores):
        self.box = box
        self.scores = {emotion: 0.0 for emotion in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")}
        self.scores.update(scores)


def test_scores_are_averaged_per_face_over_the_frames_it_was_seen(app, auth, client, clock):
    """Two faces; the small one is missing from one frame, so it is averaged over its own frames."""
    user_id = auth.signup_and_login()
    with app.app_context():
        session = webcam_sessions.start_session(user_id)
        big, small = (100, 100, 200, 200), (400, 120, 80, 80)
        webcam_sessions.record_frame(session, [FakeFace(big, happy=1.0), FakeFace(small, sad=1.0)], 640, 480)
        webcam_sessions.record_frame(session, [FakeFace((104, 98, 200, 200), happy=0.5, neutral=0.5)], 640, 480)
        webcam_sessions.record_frame(session, [FakeFace(small, sad=0.5, fear=0.5), FakeFace(big, neutral=1.0)], 640, 480)
        row = db.session.scalars(select(Analysis)).one()
        assert row.frame_count == 3
        largest, smaller = row.faces
        assert (largest.x, largest.w) == (101, 200)
        assert largest.happy == pytest.approx(0.5)
        assert largest.neutral == pytest.approx(0.5)
        assert smaller.sad == pytest.approx(0.75)
        assert smaller.fear == pytest.approx(0.25)
        assert smaller.label == "sad"


def test_another_worker_continues_the_same_second(app, auth, clock):
    """A process that did not see the start of a second (another gunicorn worker) continues its row."""
    user_id = auth.signup_and_login()
    with app.app_context():
        session = webcam_sessions.start_session(user_id)
        webcam_sessions.record_frame(session, [FakeFace((10, 10, 100, 100), happy=1.0)], 640, 480)
        webcam_sessions._open_seconds.clear()  # what a different process knows
        webcam_sessions.record_frame(session, [FakeFace((12, 10, 100, 100), surprise=1.0)], 640, 480)
        row = db.session.scalars(select(Analysis)).one()
        assert row.frame_count == 2
        assert len(row.faces) == 1
        assert row.faces[0].happy == pytest.approx(0.5)
        assert row.faces[0].surprise == pytest.approx(0.5)


def test_starting_again_closes_a_session_left_open(client, auth, app):
    auth.signup_and_login()
    first = start_session(client)
    send_frame(client, first, astronaut_frame())
    second = start_session(client)
    with app.app_context():
        assert db.session.get(WebcamSession, first).ended_at is not None
        assert db.session.get(WebcamSession, second).ended_at is None


def test_deleting_a_session_deletes_its_seconds(client, auth, app):
    auth.signup_and_login()
    session_id = start_session(client)
    send_frame(client, session_id, two_faces_frame())
    assert count(app, FaceResult) == 2
    response = client.post(f"/webcam/sessions/{session_id}/delete")
    assert response.status_code == 302
    assert count(app, WebcamSession) == 0
    assert count(app, Analysis) == 0
    assert count(app, FaceResult) == 0


def test_dashboard_lists_the_session_beside_uploads(client, auth):
    auth.signup_and_login()
    session_id = start_session(client)
    send_frame(client, session_id, astronaut_frame())
    client.post(f"/api/webcam/sessions/{session_id}/stop")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert f'id="webcam-session-{session_id}"' in html
    assert "webcam seconds with faces" in html


def test_frame_api_needs_the_csrf_header(csrf_client, csrf_app):
    csrf_client.post(
        "/auth/register",
        data={
            "username": "carol", "email": "carol@example.com", "password": "correct horse battery",
            "confirm": "correct horse battery",
            "csrf_token": csrf_token_from(csrf_client.get("/auth/register").get_data(as_text=True)),
        },
    )
    token = csrf_token_from(csrf_client.get("/webcam").get_data(as_text=True))
    refused = csrf_client.post("/api/webcam/sessions")
    assert refused.status_code == 400
    assert "security token" in refused.get_json()["error"]
    assert count(csrf_app, WebcamSession) == 0

    session_id = csrf_client.post("/api/webcam/sessions", headers={"X-CSRFToken": token}).get_json()["id"]
    refused = send_frame(csrf_client, session_id, astronaut_frame())
    assert refused.status_code == 400
    assert "security token" in refused.get_json()["error"]
    assert count(csrf_app, Analysis) == 0
    accepted = send_frame(csrf_client, session_id, astronaut_frame(), **{"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert count(csrf_app, Analysis) == 1


def test_frame_rate_limit_answers_429_json(make_app):
    app = make_app(WEBCAM_FRAME_LIMIT="3 per minute")
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).signup_and_login()
    session_id = start_session(client)
    statuses = [send_frame(client, session_id, jpeg(blank_photo())).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert send_frame(client, session_id, jpeg(blank_photo())).get_json()["error"]
