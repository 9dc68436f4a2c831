"""The video migration upgrades a database that already holds data, on SQLite and (with
TEST_DATABASE_URL) PostgreSQL, and can be undone."""
import json
from datetime import datetime

from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db
from app.models import Analysis, User, Video, WebcamSession
from app.video.service import delete_video
from app.webcam.sessions import follow_faces

PREVIOUS = "d4e5f6a7b8c9"
THIS = "e5f6a7b8c9d0"


def test_upgrade_keeps_history_and_adds_videos(empty_database):
    upgrade(directory="migrations", revision=PREVIOUS)
    when = datetime(2026, 6, 1, 9, 30, 0)
    with db.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO users (id, username, email, password_hash, created_at, username_key, email_key) "
            "VALUES (1, 'old', 'old@example.com', 'x', :when, 'old', 'old@example.com')"), {"when": when})
        connection.execute(text(
            "INSERT INTO webcam_sessions (id, user_id, started_at, frames_analysed) VALUES (1, 1, :when, 3)"),
            {"when": when})
        connection.execute(text(
            "INSERT INTO analyses (id, user_id, created_at, source, filename, image_width, image_height, frame_count, "
            "webcam_session_id) VALUES (1, 1, :when, 'upload', 'old.jpg', 640, 480, 1, NULL), "
            "(2, 1, :when, 'webcam', NULL, 640, 480, 3, 1)"), {"when": when})

    upgrade(directory="migrations", revision=THIS)

    with db.engine.begin() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == THIS
        rows = connection.execute(text("SELECT id, source, video_id FROM analyses ORDER BY id")).all()
        assert rows == [(1, "upload", None), (2, "webcam", None)]
        assert connection.execute(text("SELECT tracker_state FROM webcam_sessions")).scalar() is None
        assert connection.execute(text("SELECT count(*) FROM videos")).scalar() == 0

    # The upgraded database works with the models: a video with its history row, a webcam tracker.
    video = Video(user_id=1, filename="talk.mp4", size_bytes=10, status="done", sample_fps=5.0, frames_done=1,
                  tracks_json="[]")
    db.session.add(video)
    db.session.flush()
    db.session.add(Analysis(id=3, user_id=1, source="video", filename="talk.mp4", image_width=640, image_height=360,
                            video_id=video.id))
    session = db.session.get(WebcamSession, 1)
    follow_faces(session, [((0, 0, 50, 50), {"happy": 1.0})])
    db.session.commit()
    assert json.loads(db.session.get(WebcamSession, 1).tracker_state)["next_id"] == 2
    delete_video(db.session.get(Video, video.id))
    assert db.session.query(Analysis).count() == 2  # the video's row went with it, the old ones stay
    assert db.session.get(User, 1).username == "old"
    db.session.remove()

    downgrade(directory="migrations", revision=PREVIOUS)
    with db.engine.begin() as connection:
        assert not {"videos", "video_chunks", "video_thumbnails"} & set(inspect(connection).get_table_names())
        assert "video_id" not in {c["name"] for c in inspect(connection).get_columns("analyses")}
        assert "tracker_state" not in {c["name"] for c in inspect(connection).get_columns("webcam_sessions")}
        assert connection.execute(text("SELECT count(*) FROM analyses")).scalar() == 2
