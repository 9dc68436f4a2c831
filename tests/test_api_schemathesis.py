"""Property-based tests of the live JSON API, driven by its own OpenAPI document (Schemathesis).

A real HTTP server runs the app; for every operation of /api/v1/openapi.json Schemathesis makes
a bounded number of requests from the document's schemas (valid ones and deliberately invalid
ones) with a read-and-write access token, and checks each answer: never a 5xx, a status code the
document lists, the documented content type, and a body that matches the documented schema.
"""
import io
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.serving import make_server

from tests import images
from tests.videos import short_video_bytes
from tests.conftest import bearer, make_token

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class LiveApi:
    base_url: str
    token: str
    token_id: int


def served_document() -> dict:
    """The OpenAPI document exactly as the app serves it (it needs no database)."""
    from app import create_app
    from app.config import TestConfig

    response = create_app(TestConfig, migration_commands=False).test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


schema = schemathesis.openapi.from_dict(served_document())


@pytest.fixture(scope="module")
def live_api(tmp_path_factory):
    """A live server with an account that has a token, a stored analysis, a webcam session and a video,
    and a second account whose data the token must never reach. One per module: the examples of
    every operation share it."""
    from app import create_app
    from app.auth import tokens
    from app.auth.service import register_user
    from app.extensions import db
    from tests.conftest import settings_for_test

    folder = tmp_path_factory.mktemp("schemathesis")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INSTANCE_PATH", str(folder / "instance"))
        app = create_app(settings_for_test(
            folder, WTF_CSRF_ENABLED=True, API_LIMIT_PER_TOKEN="100000 per minute",
            API_LIMIT_PER_USER="100000 per minute", API_LIMIT_PER_ADDRESS="100000 per minute"))
    with app.app_context():
        db.drop_all()
        db.create_all()
        owner = register_user("owner", "owner@example.com", "correct horse battery")
        other = register_user("other", "other@example.com", "correct horse battery")
        owner_id, other_id = owner.id, other.id
        tokens.create_token(owner, "spare", ["read"])  # so that the tested token's id is not 1
    live = LiveApi()
    live.token = make_token(app, owner_id, name="schemathesis")
    with app.app_context():
        live.token_id = tokens.authenticate(live.token).id
    other_token = make_token(app, other_id)
    client = app.test_client()
    for secret in (live.token, other_token):
        client.post("/api/v1/analyses", headers=bearer(secret), content_type="multipart/form-data",
                    data={"image": (io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg")})
        client.post("/api/v1/webcam/sessions", headers=bearer(secret))
        client.post("/api/v1/videos", headers=bearer(secret), content_type="multipart/form-data",
                    data={"video": (io.BytesIO(short_video_bytes()), "v.mp4", "video/mp4")})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live.base_url = f"http://127.0.0.1:{server.server_port}"
    yield live
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None,
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_as_documented(case, live_api):
    if case.method == "DELETE" and case.path_parameters.get("token_id") == live_api.token_id:
        case.path_parameters["token_id"] = live_api.token_id + 1000  # keep the token the run uses
    case.call_and_validate(base_url=live_api.base_url, headers=bearer(live_api.token), checks=CHECKS)
