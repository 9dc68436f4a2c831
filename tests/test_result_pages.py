"""Result pages with an address, keep-my-photos, explained results, About the model, the landing
example, error pages and markup that assistive technology relies on."""
import base64
import io
import json
import re
from collections import Counter

from sqlalchemy import func, select

from app.about.model_card import MODEL_CARD_PATH, load_model_card
from app.extensions import db
from app.models import Analysis, AnalysisPhoto, User
from app.vision.confidence import UNCERTAIN_RULE
from tests import images


def post_photo(client, *files, url="/analyze"):
    data = {"image": [(io.BytesIO(content), name, mimetype) for content, name, mimetype in files]}
    return client.post(url, data=data, content_type="multipart/form-data")


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def keep_photos(client, on=True):
    return client.post("/settings/photos", data={"keep_photos": "on"} if on else {})


def test_reloading_a_result_page_does_not_upload_again(client, auth, app):
    auth.register()
    response = post_photo(client, (images.astronaut_jpeg(), "astronaut.jpg", "image/jpeg"))
    assert response.status_code == 303
    location = response.headers["Location"]
    for _ in range(3):  # reloads are GETs of the result's own address
        page = client.get(location)
        assert page.status_code == 200 and "Face 1: happy" in page.get_data(as_text=True)
    assert count(app, Analysis) == 1


def test_several_files_go_to_a_batch_page(client, auth, app):
    auth.register()
    response = post_photo(client, (images.astronaut_jpeg(), "a.jpg", "image/jpeg"),
                          (images.faceless_png(), "b.png", "image/png"))
    assert response.status_code == 303 and "/analyses/batch?ids=" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "a.jpg" in html and "b.png" in html and "No face found" in html
    assert client.get("/analyses/batch?ids=").status_code == 404
    assert client.get("/analyses/batch?ids=abc,,").status_code == 404


def test_result_pages_belong_to_their_owner(client, auth, app):
    auth.register("owner")
    keep_photos(client)
    post_photo(client, (images.astronaut_jpeg(), "mine.jpg", "image/jpeg"))
    with app.app_context():
        analysis_id = db.session.scalar(select(Analysis.id))
    assert client.get(f"/analyses/{analysis_id}/photo.jpg").status_code == 200
    auth.logout()
    auth.register("stranger")
    assert client.get(f"/analyses/{analysis_id}").status_code == 404
    assert client.get(f"/analyses/{analysis_id}/photo.jpg").status_code == 404
    assert client.get(f"/analyses/batch?ids={analysis_id}").status_code == 404
    assert client.post(f"/analyses/{analysis_id}/delete").status_code == 404
    assert count(app, AnalysisPhoto) == 1
    auth.logout()
    assert client.get(f"/analyses/{analysis_id}").status_code == 302  # to the login page


def test_photos_are_not_kept_by_default(client, auth, app):
    auth.register()
    location = post_photo(client, (images.astronaut_jpeg(), "a.jpg", "image/jpeg")).headers["Location"]
    assert count(app, AnalysisPhoto) == 0
    html = client.get(location).get_data(as_text=True)
    assert "The photo was not kept on the server" in html and f'data-local-photo="{location.rsplit("/", 1)[1]}"' in html
    assert client.get(location + "/photo.jpg").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(User.keep_photos)) is False


def test_kept_photo_is_downscaled_shown_exported_and_deleted_with_its_analysis(client, auth, app):
    import cv2
    import numpy as np

    auth.register()
    assert keep_photos(client).status_code == 302
    big = cv2.resize(cv2.imdecode(np.frombuffer(images.astronaut_jpeg(), np.uint8), cv2.IMREAD_COLOR), (1600, 1200))
    ok, data = cv2.imencode(".jpg", big)
    location = post_photo(client, (data.tobytes(), "big.jpg", "image/jpeg")).headers["Location"]
    analysis_id = int(location.rsplit("/", 1)[1])
    html = client.get(location).get_data(as_text=True)
    assert f'src="/analyses/{analysis_id}/photo.jpg"' in html and "The photo was not kept" not in html
    photo = client.get(f"/analyses/{analysis_id}/photo.jpg")
    assert photo.mimetype == "image/jpeg"
    kept = cv2.imdecode(np.frombuffer(photo.data, np.uint8), cv2.IMREAD_COLOR)
    assert kept.shape[:2] == (720, 960)  # longest side 960, proportions kept

    exported = client.get("/dashboard/export.json").get_json()["analyses"][0]["photo"]
    assert (exported["width"], exported["height"]) == (960, 720)
    assert base64.b64decode(exported["base64"]) == photo.data

    assert client.post(f"/analyses/{analysis_id}/delete").status_code == 302
    assert count(app, Analysis) == 0 and count(app, AnalysisPhoto) == 0

    keep_photos(client, on=False)
    post_photo(client, (images.astronaut_jpeg(), "later.jpg", "image/jpeg"))
    assert count(app, AnalysisPhoto) == 0


def test_each_face_explains_its_confidence(client, auth, app):
    auth.register()
    location = post_photo(client, (images.astronaut_jpeg(), "a.jpg", "image/jpeg")).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert re.search(r'<p class="meaning">(Clear|Likely|Uncertain): ', html)
    assert 'href="/about"' in html
    with app.app_context():
        face = db.session.scalar(select(Analysis)).faces[0]
        assert ('class="badge uncertain"' in html) == face.uncertain


def test_uncertain_faces_get_the_badge_and_its_rule(client, auth, app):
    from datetime import datetime

    from tests.test_dashboard import add_analysis

    user_id = auth.signup_and_login()
    analysis_id = add_analysis(app, user_id, ["happy"], datetime(2026, 1, 1))
    with app.app_context():
        face = db.session.get(Analysis, analysis_id).faces[0]
        face.happy, face.surprise, face.confidence = 0.40, 0.35, 0.40
        db.session.commit()
    html = client.get(f"/analyses/{analysis_id}").get_data(as_text=True)
    assert 'class="badge uncertain"' in html
    assert UNCERTAIN_RULE.replace("'", "&#39;") in html or UNCERTAIN_RULE in html
    assert "Uncertain: happy (40%) is only a little ahead of surprise (35%)" in html
    assert client.get(f"/api/analyses/{analysis_id}").get_json()["faces"][0]["uncertain"] is True
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert 'happy 40%<span aria-hidden="true"> ?</span><span class="visually-hidden"> (uncertain)</span>' in dashboard


def test_about_page_reads_the_model_card(client, app, tmp_path):
    html = client.get("/about").get_data(as_text=True)
    card = json.loads(MODEL_CARD_PATH.read_text())
    accuracy = card["fer2013"]["accuracy"]
    assert f"{accuracy * 100:.1f} %" in html
    fear_recall = card["fer2013"]["per_class"]["fear"]["recall"]
    assert f"{fear_recall * 100:.0f} %" in html
    assert "Article 5(1)(f)" in html and "workplace and education" in html
    assert "An expression is not a felt emotion." in html
    assert UNCERTAIN_RULE in html.replace("&#39;", "'")


def test_about_page_shows_what_the_evaluation_writes(make_app, tmp_path):
    card = tmp_path / "card.json"
    card.write_text(json.dumps({
        "split": "PublicTest", "ece": 0.021, "temperature": 1.3, "uncertain": {"share": 0.2},
        "fer2013": {"accuracy": 0.7, "macro_f1": 0.66, "n": 3589, "ece": 0.02,
                    "per_class": {"happy": {"precision": 0.9, "recall": 0.88, "f1": 0.89}}},
        "ferplus": {"accuracy": 0.8123, "macro_f1": 0.6, "n": 3500, "ece": 0.03, "per_class": {}},
    }))
    html = make_app(MODEL_CARD_PATH=str(card)).test_client().get("/about").get_data(as_text=True)
    assert "70.0 %</strong> of 3,589 faces" in html
    assert "FER+" in html and "81.2 %" in html
    assert "T = 1.30" in html and "0.021" in html


def test_about_page_without_a_model_card_still_explains(make_app, tmp_path):
    app = make_app(MODEL_CARD_PATH=str(tmp_path / "missing.json"))
    html = app.test_client().get("/about").get_data(as_text=True)
    assert "not available on this server" in html
    assert "Article 5(1)(f)" in html
    broken = tmp_path / "broken.json"
    broken.write_text('{"fer2013": {"accuracy": "high", "per_class": []}, "split": 3}')
    card = load_model_card(broken)
    assert card.datasets == [] and card.split is None


def test_landing_page_shows_the_real_example_result(client):
    html = client.get("/").get_data(as_text=True)
    assert 'src="/static/img/example.jpg"' in html
    assert 'class="face-box emotion-happy"' in html and "Face 1: happy" in html
    assert 'href="/about"' in html


def test_own_error_pages(client, auth, make_app):
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "Page not found" in html and "The requested URL was not found" not in html
    response = client.get("/settings/photos")
    assert response.status_code == 405
    assert "That does not work here" in response.get_data(as_text=True)
    assert client.get("/api/nothing").get_json()["error"]

    small = make_app(MAX_CONTENT_LENGTH=10_000).test_client()
    from tests.conftest import AuthActions

    AuthActions(small).register()
    response = post_photo(small, (images.astronaut_jpeg(), "big.jpg", "image/jpeg"))
    assert response.status_code == 413
    assert "Upload too large" in response.get_data(as_text=True)


def test_internal_error_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def ids_in(html: str) -> Counter:
    return Counter(re.findall(r'\sid="([^"]+)"', html))


def test_pages_have_a_skip_link_and_no_duplicate_ids(client, auth, app):
    pages = ["/", "/about", "/auth/login", "/auth/register"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert 'class="skip-link" href="#main"' in html and 'id="main"' in html
        assert [i for i, n in ids_in(html).items() if n > 1] == [], url
    auth.register()
    location = post_photo(client, (images.astronaut_jpeg(), "a.jpg", "image/jpeg"),
                          (images.astronaut_jpeg(), "b.jpg", "image/jpeg")).headers["Location"]
    for url in ["/analyze", "/webcam", "/dashboard/", "/auth/account", location]:
        html = client.get(url).get_data(as_text=True)
        assert [i for i, n in ids_in(html).items() if n > 1] == [], url


def test_form_errors_are_tied_to_their_fields_and_announced(client, auth):
    auth.register()
    html = client.post("/auth/account/password", data={"current_password": "", "new_password": "x",
                                                       "confirm": "y"}).get_data(as_text=True)
    assert 'aria-describedby="new_password-error"' in html
    assert 'id="new_password-error" role="alert"' in html
    assert 'aria-invalid="true"' in html


def test_no_inline_scripts_handlers_or_styles_in_new_pages(client, auth):
    pages = [client.get("/").get_data(as_text=True), client.get("/about").get_data(as_text=True)]
    auth.register()
    location = post_photo(client, (images.astronaut_jpeg(), "a.jpg", "image/jpeg")).headers["Location"]
    pages += [client.get(url).get_data(as_text=True) for url in (location, "/analyze", "/dashboard/", "/webcam")]
    for html in pages:
        assert " style=" not in html
        assert not re.search(r"\son[a-z]+=", html)
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
