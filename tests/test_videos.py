"""Videos end to end: upload (API and page), the queue with a real worker process (SQLite by
default, Redis when there is one), a worker killed mid-job, progress, cancel, delete, bad input,
history, dashboard and export."""
import io
import tempfile
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Analysis, DeletedItem, User, Video, VideoChunk, VideoThumbnail, utcnow
from tests.conftest import bearer, make_token
from tests.faces import astronaut_bgr
from tests.videos import Worker, one_face_frames, two_faces_video, write_video

V1 = "/api/v1"
REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.fixture
def user(app):
    from app.auth.service import register_user

    with app.app_context():
        return register_user("alice", "alice@example.com", "correct horse battery").id


@pytest.fixture
def token(app, user):
    return make_token(app, user)


@pytest.fixture(scope="module")
def two_faces_bytes(tmp_path_factory) -> bytes:
    return two_faces_video(tmp_path_factory.mktemp("videos") / "two.mp4").read_bytes()


def upload(client, token, data: bytes, name: str = "two.mp4"):
    return client.post(f"{V1}/videos", headers=bearer(token), content_type="multipart/form-data",
                       data={"video": (io.BytesIO(data), name)})


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def workers(tmp_path):
    started = []

    def start(app, **env):
        worker = Worker(app, tmp_path / "worker.log", **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(client, token, video_id, statuses=("done", "failed", "cancelled"), timeout=90, condition=None):
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json()
        if job["status"] in statuses and (condition is None or condition(job)):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"video {video_id} still {job['status']} after {timeout} s: {job}")
        time.sleep(0.1)


def check_two_face_result(app, client, token, user, video_id, job):
    assert job["status"] == "done", job
    assert job["progress"]["frames_done"] == job["progress"]["frames_total"] == 30
    first, second = job["tracks"]
    assert (first["start"], first["end"]) == (0, 4) and (second["start"], second["end"]) == (2, 6)
    assert first["summary"]["happy"] >= 0.75
    assert sum(first["summary"].values()) == pytest.approx(1.0, abs=0.01)
    assert [s["t"] for s in second["seconds"]] == [2, 3, 4, 5]
    # In the history as source "video", its faces the two tracks; the upload is gone.
    history = client.get(f"{V1}/analyses?source=video", headers=bearer(token)).get_json()
    [row] = history["items"]
    assert row["id"] == job["analysis_id"] and row["video_id"] == video_id and len(row["faces"]) == 2
    assert count(app, VideoChunk, VideoChunk.video_id == video_id) == 0
    stats = client.get(f"{V1}/stats", headers=bearer(token)).get_json()
    assert stats["totals"]["analyses"]["video"] == 1 and stats["totals"]["faces"]["video"] == 2
    exported = client.get(f"{V1}/export", headers=bearer(token)).get_json()
    assert [a["source"] for a in exported["analyses"]] == ["video"]
    [video] = exported["videos"]
    assert video["id"] == video_id and [t["start"] for t in video["tracks"]] == [0, 2]
    csv_rows = client.get(f"{V1}/export.csv", headers=bearer(token)).get_data(as_text=True).splitlines()
    assert csv_rows[0].endswith(",video_id") and all(row.endswith(f",{video_id}") for row in csv_rows[1:])


def test_a_video_goes_through_the_sqlite_queue_and_a_real_worker(make_app, workers, two_faces_bytes):
    app = make_app()
    client = app.test_client()
    from app.auth.service import register_user

    with app.app_context():
        user = register_user("alice", "alice@example.com", "correct horse battery").id
    token = make_token(app, user)
    answer = upload(client, token, two_faces_bytes)
    assert answer.status_code == 202, answer.get_json()
    job = answer.get_json()
    assert job["status"] == "queued" and answer.headers["Location"] == job["url"] == f"/api/v1/videos/{job['id']}"
    assert Path(app.instance_path, "video-queue.db").exists()
    # The job waits in the queue file: the worker starts later, as after a restart.
    workers(app)
    done = wait_for(client, token, job["id"])
    check_two_face_result(app, client, token, user, job["id"], done)
    assert done["attempts"] == 1


@pytest.mark.skipif(not redis_available(), reason="no Redis at 127.0.0.1:6379")
def test_the_same_on_redis(make_app, workers, two_faces_bytes):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    app = make_app(VIDEO_QUEUE_URL=REDIS_URL)
    client = app.test_client()
    from app.auth.service import register_user

    with app.app_context():
        user = register_user("alice", "alice@example.com", "correct horse battery").id
    token = make_token(app, user)
    video_id = upload(client, token, two_faces_bytes).get_json()["id"]
    assert not Path(app.instance_path, "video-queue.db").exists()
    workers(app)
    check_two_face_result(app, client, token, user, video_id, wait_for(client, token, video_id))


def test_a_worker_killed_mid_job_leaves_the_job_retried(make_app, workers, tmp_path):
    app = make_app(VIDEO_SAMPLE_FPS=10.0, VIDEO_STALL_SECONDS=2)
    client = app.test_client()
    from app.auth.service import register_user

    with app.app_context():
        user = register_user("alice", "alice@example.com", "correct horse battery").id
    token = make_token(app, user)
    path = write_video(tmp_path / "long.mp4", one_face_frames(50, fps=10), fps=10)
    video_id = upload(client, token, path.read_bytes(), "long.mp4").get_json()["id"]
    worker = workers(app, VIDEO_STALL_SECONDS=2)
    running = wait_for(client, token, video_id, statuses=("running",), condition=lambda j: j["progress"]["frames_done"] > 0)
    assert running["progress"]["frames_done"] < running["progress"]["frames_total"] == 500
    worker.kill()
    time.sleep(0.5)
    with app.app_context():
        assert db.session.get(Video, video_id).status == "running"  # nobody has noticed yet
    # A new worker finds the job without a heartbeat, puts it back in the queue and runs it again.
    time.sleep(2)
    workers(app, VIDEO_STALL_SECONDS=2)
    done = wait_for(client, token, video_id)
    assert done["status"] == "done" and done["attempts"] == 2, done
    assert done["progress"]["frames_done"] == 500 and len(done["tracks"]) == 1
    assert count(app, VideoChunk, VideoChunk.video_id == video_id) == 0
    assert count(app, Analysis, Analysis.video_id == video_id) == 1


def test_a_job_whose_worker_keeps_dying_ends_failed_when_read(app, client, token, two_faces_bytes):
    app.config.update(VIDEO_STALL_SECONDS=5, VIDEO_MAX_ATTEMPTS=2)
    video_id = upload(client, token, two_faces_bytes).get_json()["id"]
    with app.app_context():
        video = db.session.get(Video, video_id)
        video.status, video.attempts = "running", 2
        video.heartbeat_at = video.started_at = utcnow().replace(year=2020)
        db.session.commit()
    job = client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json()
    assert job["status"] == "failed" and "stopped 2 times" in job["error"]
    assert count(app, VideoChunk, VideoChunk.video_id == video_id) == 0
    assert count(app, Analysis) == 0


def test_a_stalled_first_attempt_goes_back_to_the_queue(app, client, token, two_faces_bytes):
    app.config.update(VIDEO_STALL_SECONDS=5)
    video_id = upload(client, token, two_faces_bytes).get_json()["id"]
    with app.app_context():
        video = db.session.get(Video, video_id)
        video.status, video.attempts, video.heartbeat_at = "running", 1, utcnow().replace(year=2020)
        db.session.commit()
    job = client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json()
    assert job["status"] == "queued" and job["attempts"] == 1


def test_a_queued_job_whose_message_was_lost_is_sent_again_once(app, client, token, two_faces_bytes):
    from app.video.jobs import queue
    from app.video.queue import pending_video_ids
    from app.video.worker import build

    lost_id = upload(client, token, two_faces_bytes).get_json()["id"]
    waiting_id = upload(client, token, two_faces_bytes).get_json()["id"]
    fresh_id = upload(client, token, two_faces_bytes).get_json()["id"]
    with app.test_request_context():
        huey = queue()
        assert pending_video_ids(huey) == {lost_id, waiting_id, fresh_id}
        huey.flush()  # what a Redis that keeps nothing on disk does when it restarts
        huey.moodlens_task(waiting_id)  # this one's message came back (or was never lost)
    with app.app_context():
        for video_id in (lost_id, waiting_id):
            db.session.get(Video, video_id).created_at = utcnow().replace(year=2020)
        db.session.commit()

    _, recover = build(app)
    recover()
    recover()  # the next minute: nothing is sent twice
    with app.test_request_context():
        pending = [task.args[0] for task in queue().pending()]
    # The fresh upload may still be on its way to the queue (within the stall time): left alone.
    assert sorted(pending) == sorted([lost_id, waiting_id])


def run_in_process(app, video_id) -> str:
    from app.analysis.engine import get_analyzer
    from app.video.service import VideoSettings, run_job

    with app.app_context():
        return run_job(video_id, get_analyzer(), VideoSettings.from_config(app.config))


def test_thumbnails_only_for_users_who_keep_photos(app, client, token, user, two_faces_bytes):
    first = upload(client, token, two_faces_bytes).get_json()["id"]
    with app.app_context():
        db.session.get(User, user).keep_photos = True
        db.session.commit()
    second = upload(client, token, two_faces_bytes).get_json()["id"]
    assert run_in_process(app, first) == run_in_process(app, second) == "done"
    assert count(app, VideoThumbnail, VideoThumbnail.video_id == first) == 0
    assert count(app, VideoThumbnail, VideoThumbnail.video_id == second) == 2
    client.post("/auth/login", data={"username": "alice", "password": "correct horse battery"})
    page = client.get(f"/videos/{second}").get_data(as_text=True)
    assert 'id="video-timeline"' in page and f"/videos/{second}/tracks/1.jpg" in page
    assert f"/videos/{first}/tracks/1.jpg" not in client.get(f"/videos/{first}").get_data(as_text=True)
    picture = client.get(f"/videos/{second}/tracks/1.jpg")
    assert picture.status_code == 200 and picture.data[:2] == b"\xff\xd8"
    assert client.get(f"/videos/{first}/tracks/1.jpg").status_code == 404
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "source-video" in dashboard and f"/videos/{second}" in dashboard


def test_a_file_that_fails_in_the_worker_ends_failed_with_its_reason_and_nothing_stored(app, client, token,
                                                                                         two_faces_bytes):
    video_id = upload(client, token, two_faces_bytes).get_json()["id"]
    with app.app_context():  # the stored upload loses its second half (a disk or network fault)
        chunk = db.session.get(VideoChunk, (video_id, 0))
        chunk.data = chunk.data[: len(chunk.data) // 2]
        db.session.commit()
    assert run_in_process(app, video_id) == "failed"
    job = client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json()
    assert job["status"] == "failed" and job["error"] and job["tracks"] == [] and job["analysis_id"] is None
    assert count(app, VideoChunk) == 0 and count(app, Analysis) == 0


def temporary_uploads() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("moodlens-upload-*")}


def test_bad_input_is_refused_with_a_clear_4xx_and_nothing_is_stored(make_app, tmp_path, two_faces_bytes):
    app = make_app(VIDEO_MAX_BYTES=len(two_faces_bytes) + 10)
    client = app.test_client()
    from app.auth.service import register_user

    with app.app_context():
        user = register_user("alice", "alice@example.com", "correct horse battery").id
    token = make_token(app, user)
    before = temporary_uploads()
    jpeg = __import__("cv2").imencode(".jpg", astronaut_bgr())[1].tobytes()

    def refused(response, status, words):
        assert response.status_code == status, response.get_json()
        assert response.content_type == "application/problem+json"
        assert words in response.get_json()["detail"]

    refused(upload(client, token, jpeg, "photo.mp4"), 415, "not a video")  # a still image renamed .mp4
    refused(upload(client, token, b"", "empty.mp4"), 400, "empty")
    refused(upload(client, token, two_faces_bytes[: len(two_faces_bytes) // 2], "cut.mp4"), 400, "")  # truncated
    refused(upload(client, token, b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 200, "x.mp4"),
            400, "")  # a container with no video track
    refused(upload(client, token, two_faces_bytes + b"\x00" * 100, "big.mp4"), 413, "larger")  # over the size
    refused(client.post(f"{V1}/videos", headers=bearer(token), data=two_faces_bytes,
                        content_type="video/mp4"), 415, "multipart")
    refused(client.post(f"{V1}/videos", headers=bearer(token), content_type="multipart/form-data",
                        data={"other": (io.BytesIO(b"x"), "x.mp4")}), 400, "video")
    app.config["VIDEO_MAX_SECONDS"] = 3
    refused(upload(client, token, two_faces_bytes), 413, "minutes")
    app.config.update(VIDEO_MAX_SECONDS=600, VIDEO_MAX_PIXELS=320 * 240)
    refused(upload(client, token, two_faces_bytes), 413, "pixels")  # frames too large
    assert count(app, Video) == 0 and count(app, VideoChunk) == 0
    assert temporary_uploads() <= before
    # A hostile file name is only a label: no path reaches the disk or the page.
    app.config["VIDEO_MAX_PIXELS"] = 3840 * 2160
    job = upload(client, token, two_faces_bytes, "../../etc/passwd\x00.mp4").get_json()
    assert job["filename"] == "passwd.mp4"
    # Bigger than the whole site's request limit: still a clear 413.
    app.config["VIDEO_MAX_BYTES"] = 1000
    response = client.post(f"{V1}/videos", headers=bearer(token), content_type="multipart/form-data",
                           data={"video": (io.BytesIO(two_faces_bytes), "two.mp4")})
    assert response.status_code == 413 and response.content_type == "application/problem+json"


def test_cancel_then_delete_and_ownership(app, client, token, user, two_faces_bytes):
    from app.auth.service import register_user

    with app.app_context():
        other = register_user("bobby", "bob@example.com", "correct horse battery").id
    other_token = make_token(app, other)
    video_id = upload(client, token, two_faces_bytes).get_json()["id"]
    for method in ("get", "delete"):
        assert getattr(client, method)(f"{V1}/videos/{video_id}", headers=bearer(other_token)).status_code == 404
    assert client.get(f"{V1}/videos", headers=bearer(other_token)).get_json()["items"] == []
    cancelled = client.delete(f"{V1}/videos/{video_id}", headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert count(app, VideoChunk) == 0
    assert run_in_process(app, video_id) == "skipped"  # the queued message finds it cancelled
    assert client.delete(f"{V1}/videos/{video_id}", headers=bearer(token)).status_code == 204
    assert client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).status_code == 404
    # The pages check ownership too.
    other_video = upload(client, other_token, two_faces_bytes).get_json()["id"]
    client.post("/auth/login", data={"username": "alice", "password": "correct horse battery"})
    assert client.get(f"/videos/{other_video}").status_code == 404
    assert client.post(f"/videos/{other_video}/cancel").status_code == 404
    assert client.post(f"/videos/{other_video}/delete").status_code == 404
    assert client.get(f"/videos/{other_video}/tracks/1.jpg").status_code == 404
    assert count(app, Video, Video.id == other_video) == 1


def test_page_upload_progress_page_and_cancel_form(app, client, auth, two_faces_bytes):
    auth.signup_and_login("carol")
    assert 'id="video-form"' in client.get("/videos/new").get_data(as_text=True)
    assert "/videos/new" in client.get("/analyze").get_data(as_text=True)
    answer = client.post("/videos/new", content_type="multipart/form-data",
                         data={"video": (io.BytesIO(two_faces_bytes), "two.mp4")})
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="video-progress"' in page and 'id="video-cancel"' in page
    video_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/videos/{video_id}/cancel").status_code == 302
    assert "Cancelled" in client.get(f"/videos/{video_id}").get_data(as_text=True)
    refused = client.post("/videos/new", content_type="multipart/form-data",
                          data={"video": (io.BytesIO(b"not a video"), "x.mp4")})
    assert refused.status_code == 415 and "not a video" in refused.get_data(as_text=True)


def test_deleting_the_account_or_the_history_row_deletes_the_video(app, client, token, user, two_faces_bytes):
    video_id = upload(client, token, two_faces_bytes).get_json()["id"]
    assert run_in_process(app, video_id) == "done"
    analysis_id = client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json()["analysis_id"]
    assert client.delete(f"{V1}/analyses/{analysis_id}", headers=bearer(token)).status_code == 204
    assert count(app, Video) == 0
    second = upload(client, token, two_faces_bytes).get_json()["id"]
    assert run_in_process(app, second) == "done"
    with app.app_context():
        db.session.delete(db.session.get(User, user))
        db.session.commit()
    assert count(app, Video) == count(app, Analysis) == count(app, VideoChunk) == 0


def test_webcam_frames_answer_with_tracks_that_keep_their_id(app, client, token):
    from tests.images import astronaut_jpeg

    session_id = client.post(f"{V1}/webcam/sessions", headers=bearer(token)).get_json()["id"]
    ids = []
    for _ in range(3):
        frame = client.post(f"{V1}/webcam/sessions/{session_id}/frames",
                            headers={**bearer(token), "Content-Type": "image/jpeg"}, data=astronaut_jpeg()).get_json()
        [track] = frame["tracks"]
        assert track["label"] == "happy" and set(track["box"]) == {"x", "y", "w", "h"}
        ids.append(track["id"])
    assert ids == [1, 1, 1]


def test_a_deleted_video_comes_back_with_undo_whole_and_only_for_its_owner(app, client, token, user, two_faces_bytes):
    from app.auth.service import register_user

    with app.app_context():
        db.session.get(User, user).keep_photos = True
        db.session.commit()
    video_id = upload(client, token, two_faces_bytes).get_json()["id"]
    assert run_in_process(app, video_id) == "done"
    before = client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json()
    client.post("/auth/login", data={"username": "alice", "password": "correct horse battery"})
    assert "undo this for 10 minutes" in client.get(f"/videos/{video_id}").get_data(as_text=True)

    # Deleted from its page: the dashboard offers Undo, and Undo puts every part back.
    client.post(f"/videos/{video_id}/delete")
    assert count(app, Video) == count(app, Analysis) == count(app, VideoThumbnail) == 0
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "Video deleted. You can undo this" in dashboard
    with app.app_context():
        item_id = db.session.scalar(select(DeletedItem.id).where(DeletedItem.kind == "video"))
    # Not by someone else, even with the item's id.
    with app.app_context():
        register_user("mallory", "mallory@example.com", "correct horse battery")
    intruder = app.test_client()
    intruder.post("/auth/login", data={"username": "mallory", "password": "correct horse battery"})
    intruder.post(f"/dashboard/undo/{item_id}")
    assert count(app, Video) == 0
    assert "Video restored." in client.post(f"/dashboard/undo/{item_id}", follow_redirects=True).get_data(as_text=True)
    after = client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json()
    assert after == before
    assert count(app, VideoThumbnail, VideoThumbnail.video_id == video_id) == 2
    assert client.get(f"/videos/{video_id}/tracks/1.jpg").data[:2] == b"\xff\xd8"
    assert f"/videos/{video_id}" in client.get("/dashboard/").get_data(as_text=True)
    assert "nothing to undo" in client.post(f"/dashboard/undo/{item_id}", follow_redirects=True).get_data(as_text=True)

    # Deleted from the history: the whole video is kept for Undo too.
    client.post(f"/analyses/{after['analysis_id']}/delete")
    assert count(app, Video) == 0
    with app.app_context():
        item_id = db.session.scalar(select(DeletedItem.id).where(DeletedItem.kind == "video"))
    client.post(f"/dashboard/undo/{item_id}")
    assert client.get(f"{V1}/videos/{video_id}", headers=bearer(token)).get_json() == before

    # A job still queued cannot come back (its upload goes with it): no Undo is offered.
    queued = upload(client, token, two_faces_bytes).get_json()["id"]
    client.post(f"{V1}/videos/{queued}/cancel", headers=bearer(token))
    with app.app_context():
        video = db.session.get(Video, queued)
        video.status = "queued"
        db.session.commit()
    client.post(f"/videos/{queued}/delete")
    assert "undo-bar" not in client.get("/dashboard/").get_data(as_text=True)
