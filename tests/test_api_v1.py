"""/api/v1 with access tokens: analyses (several per call, multipart or JSON), paging and
filters, one analysis, delete, stats, export, webcam sessions; owner isolation on every route;
problem+json errors; the older /api addresses answer the same as their /api/v1 twins; the
OpenAPI document and its docs page."""
import base64
import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Analysis, FaceResult, WebcamSession
from tests import images
from tests.conftest import bearer, make_token

V1 = "/api/v1"


def problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] == body["error"]
    return body


@pytest.fixture
def alice(app, auth):
    user_id = auth.signup_and_login("alice")
    auth.logout()
    return user_id, make_token(app, user_id)


@pytest.fixture
def bob(app, auth):
    user_id = auth.signup_and_login("bob")
    auth.logout()
    return user_id, make_token(app, user_id)


def add_analyses(app, user_id, days, source="upload", label="happy"):
    """Stored analyses with one face each, created at the given datetimes."""
    with app.app_context():
        ids = []
        for moment in days:
            analysis = Analysis(user_id=user_id, created_at=moment, source=source, filename="x.jpg",
                                image_width=10, image_height=10)
            analysis.faces.append(FaceResult(x=0, y=0, w=5, h=5, label=label, confidence=0.9, angry=0, disgust=0,
                                             fear=0, happy=0.9 if label == "happy" else 0, sad=0.9 if label == "sad" else 0,
                                             surprise=0, neutral=0.1))
            db.session.add(analysis)
            db.session.flush()
            ids.append(analysis.id)
        db.session.commit()
        return ids


def test_upload_several_files_multipart_and_json(client, alice):
    _, token = alice
    response = client.post(f"{V1}/analyses", headers=bearer(token), content_type="multipart/form-data", data={
        "image": [(io.BytesIO(images.astronaut_jpeg()), "a.jpg", "image/jpeg"),
                  (io.BytesIO(b"not an image"), "b.jpg", "image/jpeg")]})
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["results"]) == 1 and body["errors"][0]["filename"] == "b.jpg"
    assert [f["ok"] for f in body["files"]] == [True, False]
    encoded = base64.b64encode(images.astronaut_jpeg()).decode()
    response = client.post(f"{V1}/analyses", headers=bearer(token), json={
        "images": [{"image": encoded, "filename": "one.jpg"}, {"image": encoded, "filename": "two.jpg"}]})
    assert response.status_code == 200
    assert [r["filename"] for r in response.get_json()["results"]] == ["one.jpg", "two.jpg"]
    assert client.post(f"{V1}/analyses", headers=bearer(token), json={"image": encoded}).status_code == 200


@pytest.mark.parametrize("payload", [{"images": []}, {"images": "x"}, {"images": [{"image": 5}]},
                                     {"images": [{"image": "%%%"}]}, {"images": [{}] * 11}, [], "x"])
def test_bad_json_uploads_are_refused_whole(client, alice, payload):
    body = problem(client.post(f"{V1}/analyses", headers=bearer(alice[1]), json=payload), 400)
    assert "results" not in body


def test_no_file_stored_answers_with_the_file_status_and_lists(client, alice):
    response = client.post(f"{V1}/analyses", headers=bearer(alice[1]), content_type="multipart/form-data",
                           data={"image": (io.BytesIO(b"text"), "notes.txt", "text/plain")})
    body = problem(response, 415)
    assert body["errors"][0]["status"] == 415 and body["files"][0]["ok"] is False and body["results"] == []
    problem(client.post(f"{V1}/analyses", headers=bearer(alice[1]), data="raw", content_type="text/plain"), 415)


def test_list_is_paged_newest_first_and_filtered(client, app, alice):
    user_id, token = alice
    start = datetime(2026, 3, 1, 12)
    ids = add_analyses(app, user_id, [start + timedelta(days=i) for i in range(5)])
    webcam = add_analyses(app, user_id, [start + timedelta(days=2, hours=1)], source="webcam", label="sad")
    page = client.get(f"{V1}/analyses?per_page=2", headers=bearer(token)).get_json()
    assert (page["total"], page["pages"], page["page"], page["per_page"]) == (6, 3, 1, 2)
    assert [item["id"] for item in page["items"]] == [ids[4], ids[3]]
    last = client.get(f"{V1}/analyses?per_page=2&page=3", headers=bearer(token)).get_json()
    assert [item["id"] for item in last["items"]] == [ids[1], ids[0]]
    middle = client.get(f"{V1}/analyses?per_page=2&page=2", headers=bearer(token)).get_json()
    assert [item["id"] for item in middle["items"]] == [webcam[0], ids[2]]
    beyond = client.get(f"{V1}/analyses?per_page=2&page=9", headers=bearer(token)).get_json()
    assert beyond["items"] == [] and beyond["total"] == 6
    ranged = client.get(f"{V1}/analyses?from=2026-03-02&to=2026-03-03", headers=bearer(token)).get_json()
    assert {item["id"] for item in ranged["items"]} == {ids[1], ids[2], webcam[0]}
    only_webcam = client.get(f"{V1}/analyses?source=webcam", headers=bearer(token)).get_json()
    assert [item["id"] for item in only_webcam["items"]] == webcam
    # Days are days in tz: 2026-03-01 12:00 UTC is already 2 March in Auckland (UTC+13).
    zoned = client.get(f"{V1}/analyses?from=2026-03-02&to=2026-03-02&tz=Pacific/Auckland", headers=bearer(token))
    assert [item["id"] for item in zoned.get_json()["items"]] == [ids[0]]
    reversed_range = client.get(f"{V1}/analyses?from=2026-03-05&to=2026-03-01", headers=bearer(token)).get_json()
    assert reversed_range["total"] == 0


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=101", "per_page=0", "source=fax", "from=2026-13-01",
                                   "to=yesterday", "tz=" + "x" * 65, "page=99999999999"])
def test_bad_list_queries_get_422_problem(client, alice, query):
    body = problem(client.get(f"{V1}/analyses?{query}", headers=bearer(alice[1])), 422)
    assert body["invalid_params"]["query"]


def test_far_dates_and_unknown_zones_are_no_error(client, alice):
    for query in ("from=0001-01-01&to=9999-12-31", "from=9999-12-31", "tz=Not/AZone", "tz=../../etc/passwd"):
        assert client.get(f"{V1}/analyses?{query}", headers=bearer(alice[1])).status_code == 200
        assert client.get(f"{V1}/stats?{query}", headers=bearer(alice[1])).status_code == 200


def test_stats_are_the_dashboards_chart_data(client, app, auth, alice):
    user_id, token = alice
    add_analyses(app, user_id, [datetime(2026, 3, 1, 12), datetime(2026, 3, 3, 12)])
    stats = client.get(f"{V1}/stats?from=2026-03-01&to=2026-03-03", headers=bearer(token)).get_json()
    assert stats["totals"]["analyses"] == {"upload": 2, "webcam": 0, "video": 0}
    assert stats["timeline"]["labels"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert stats["timeline"]["series"]["happy"] == [1, 0, 1]
    auth.login("alice")
    assert client.get("/dashboard/data.json?from=2026-03-01&to=2026-03-03").get_json() == stats
    weekly = client.get(f"{V1}/stats?preset=all&bucket=week").get_json()
    assert weekly["bucket"] == "week" and weekly["range"] == {"from": "", "to": ""}
    problem(client.get(f"{V1}/stats?bucket=month"), 422)


def test_export_json_and_csv(client, app, alice):
    user_id, token = alice
    add_analyses(app, user_id, [datetime(2026, 3, 1, 12)])
    exported = client.get(f"{V1}/export", headers=bearer(token)).get_json()
    assert exported["user"]["username"] == "alice" and len(exported["analyses"]) == 1
    assert exported["analyses"][0]["photo"] is None
    csv = client.get(f"{V1}/export.csv", headers=bearer(token))
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).count("\n") == 2


def test_webcam_session_through_v1(client, alice):
    from tests.test_webcam_api import astronaut_frame

    headers = bearer(alice[1])
    started = client.post(f"{V1}/webcam/sessions", headers=headers)
    assert started.status_code == 201
    session_id = started.get_json()["id"]
    frame = client.post(f"{V1}/webcam/sessions/{session_id}/frames", headers={**headers, "Content-Type": "image/jpeg"},
                        data=astronaut_frame())
    assert frame.status_code == 200 and frame.get_json()["faces"]
    problem(client.post(f"{V1}/webcam/sessions/{session_id}/frames", headers={**headers, "Content-Type": "text/plain"},
                        data=b"x"), 415)
    problem(client.post(f"{V1}/webcam/sessions/{session_id}/frames", headers={**headers, "Content-Type": "image/jpeg"},
                        data=b"garbage"), 400)
    stopped = client.post(f"{V1}/webcam/sessions/{session_id}/stop", headers=headers).get_json()
    assert stopped["ended_at"] and stopped["frames_analysed"] == 1
    assert client.get(f"{V1}/webcam/sessions/{session_id}", headers=headers).get_json()["seconds_with_faces"] == 1
    problem(client.post(f"{V1}/webcam/sessions/{session_id}/frames", headers={**headers, "Content-Type": "image/jpeg"},
                        data=astronaut_frame()), 409)


def test_owner_isolation_on_every_v1_route(client, app, alice, bob):
    """Every /api/v1 route that reaches data is tried with Bob's token on Alice's data."""
    alice_id, alice_token = alice
    _, bob_token = bob
    [analysis_id] = add_analyses(app, alice_id, [datetime(2026, 3, 1, 12)])
    session_id = client.post(f"{V1}/webcam/sessions", headers=bearer(alice_token)).get_json()["id"]
    with app.app_context():
        from app.models import ApiToken

        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == alice_id))
    from tests.videos import short_video_bytes

    video_id = client.post(f"{V1}/videos", headers=bearer(alice_token), content_type="multipart/form-data",
                           data={"video": (io.BytesIO(short_video_bytes()), "a.mp4")}).get_json()["id"]
    as_bob = bearer(bob_token)
    tried = {
        ("GET", "/api/v1/analyses/<int:analysis_id>"): client.get(f"{V1}/analyses/{analysis_id}", headers=as_bob),
        ("DELETE", "/api/v1/analyses/<int:analysis_id>"): client.delete(f"{V1}/analyses/{analysis_id}", headers=as_bob),
        ("GET", "/api/v1/webcam/sessions/<int:session_id>"): client.get(f"{V1}/webcam/sessions/{session_id}",
                                                                         headers=as_bob),
        ("POST", "/api/v1/webcam/sessions/<int:session_id>/stop"): client.post(
            f"{V1}/webcam/sessions/{session_id}/stop", headers=as_bob),
        ("POST", "/api/v1/webcam/sessions/<int:session_id>/frames"): client.post(
            f"{V1}/webcam/sessions/{session_id}/frames", headers={**as_bob, "Content-Type": "image/jpeg"}, data=b"x"),
        ("DELETE", "/api/v1/tokens/<int:token_id>"): client.delete(f"{V1}/tokens/{token_id}", headers=as_bob),
        ("GET", "/api/v1/videos/<int:video_id>"): client.get(f"{V1}/videos/{video_id}", headers=as_bob),
        ("DELETE", "/api/v1/videos/<int:video_id>"): client.delete(f"{V1}/videos/{video_id}", headers=as_bob),
    }
    for response in tried.values():
        problem(response, 404)
    listings = {
        ("GET", "/api/v1/analyses"): client.get(f"{V1}/analyses", headers=as_bob).get_json()["total"] == 0,
        ("GET", "/api/v1/stats"): client.get(f"{V1}/stats", headers=as_bob).get_json()["totals"]["analyses"]["upload"] == 0,
        ("GET", "/api/v1/export"): client.get(f"{V1}/export", headers=as_bob).get_json()["analyses"] == [],
        ("GET", "/api/v1/export.csv"): client.get(f"{V1}/export.csv", headers=as_bob).get_data(as_text=True).count("\n") == 1,
        ("GET", "/api/v1/tokens"): [t["name"] for t in client.get(f"{V1}/tokens", headers=as_bob).get_json()["items"]] == ["test"],
        # Bob's own new things never attach to Alice's.
        ("POST", "/api/v1/analyses"): client.post(f"{V1}/analyses", headers=as_bob, json={"image": base64.b64encode(
            images.astronaut_jpeg()).decode()}).get_json()["results"][0]["id"] != analysis_id,
        ("POST", "/api/v1/webcam/sessions"): client.post(f"{V1}/webcam/sessions", headers=as_bob).status_code == 201,
        ("POST", "/api/v1/tokens"): True,  # session only: covered in test_api_tokens
        ("GET", "/api/v1/videos"): client.get(f"{V1}/videos", headers=as_bob).get_json()["items"] == [],
        ("POST", "/api/v1/videos"): client.post(f"{V1}/videos", headers=as_bob, content_type="multipart/form-data",
                                                data={"video": (io.BytesIO(short_video_bytes()), "b.mp4")}
                                                ).get_json()["id"] != video_id,
    }
    assert all(listings.values()), listings
    v1_routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(V1)
                 for method in rule.methods - {"HEAD", "OPTIONS"}}
    v1_routes -= {("GET", "/api/v1/openapi.json"), ("GET", "/api/v1/docs")}
    assert v1_routes == set(tried) | set(listings)
    with app.app_context():
        assert db.session.get(Analysis, analysis_id) is not None
        assert db.session.get(WebcamSession, session_id).ended_at is None


def test_older_api_addresses_are_the_same_views(client, app, alice):
    _, token = alice
    encoded = base64.b64encode(images.astronaut_jpeg()).decode()
    old = client.post("/api/analyze", headers=bearer(token), json={"image": encoded})
    assert old.status_code == 200
    analysis_id = old.get_json()["results"][0]["id"]
    assert client.get(f"/api/analyses/{analysis_id}", headers=bearer(token)).get_json() == \
        client.get(f"{V1}/analyses/{analysis_id}", headers=bearer(token)).get_json()
    session = client.post("/api/webcam/sessions", headers=bearer(token))
    assert session.status_code == 201
    assert client.post(f"/api/webcam/sessions/{session.get_json()['id']}/stop", headers=bearer(token)).status_code == 200
    assert client.delete(f"/api/analyses/{analysis_id}", headers=bearer(token)).status_code == 204
    problem(client.get(f"{V1}/analyses/{analysis_id}", headers=bearer(token)), 404)
    view = app.view_functions
    assert view["api.analyze"] is view["api_v1.create_analyses"]
    assert view["api.webcam_frame"] is view["api_v1.webcam_frame"]


def test_api_errors_are_problem_documents(client, alice):
    problem(client.get(f"{V1}/analyses"), 401)
    problem(client.get(f"{V1}/nothing-here"), 404)
    problem(client.put(f"{V1}/analyses", headers=bearer(alice[1])), 405)
    problem(client.get(f"{V1}/analyses/99999999999", headers=bearer(alice[1])), 404)
    body = problem(client.post(f"{V1}/analyses", headers=bearer(alice[1]), data=b"x" * 100,
                               content_type="application/json"), 400)
    assert "Malformed JSON" in body["detail"]


def test_openapi_document_and_docs_page(client):
    document = client.get(f"{V1}/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert {"accessToken", "sessionCookie"} <= set(document["components"]["securitySchemes"])
    post = document["paths"]["/api/v1/analyses"]["post"]
    assert {"multipart/form-data", "application/json"} <= set(post["requestBody"]["content"])
    assert post["responses"]["415"]["content"]["application/problem+json"]
    assert document["components"]["schemas"]["Analysis"]["properties"]["faces"]["type"] == "array"
    page = client.get(f"{V1}/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "cdn" not in html.lower()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
