"""Boxes, widths and heights are reported in the photo's own pixels (after its EXIF rotation),
however much the picture was reduced for the face search: in the API, the pages, the export and
the webcam answers. The reference is a 4000x3000 photo with the astronaut's portrait at a known
place; the same portrait analysed on its own gives the expected box, scaled."""
import csv
import io
from functools import lru_cache

import cv2
import numpy as np
import pytest
from PIL import Image

from app.vision import decode_picture
from tests.conftest import bearer, make_token
from tests.faces import astronaut_bgr

V1 = "/api/v1"
PLACE = (2200, 900)  # where the portrait's top-left corner goes in the big photo
SIDE = 1500  # the portrait's side in the big photo (512 px at its own size)


def jpeg(image_bgr, exif_orientation=None) -> bytes:
    buffer = io.BytesIO()
    picture = Image.fromarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB))
    if exif_orientation:
        exif = picture.getexif()
        exif[0x0112] = exif_orientation
        picture.save(buffer, format="JPEG", quality=90, exif=exif)
    else:
        picture.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@lru_cache(maxsize=None)
def big_photo_bgr() -> np.ndarray:
    canvas = np.full((3000, 4000, 3), 170, np.uint8)
    x, y = PLACE
    canvas[y:y + SIDE, x:x + SIDE] = cv2.resize(astronaut_bgr(), (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)
    return canvas


def upload(client, data: bytes, name: str, **headers):
    return client.post(f"{V1}/analyses", data={"image": [(io.BytesIO(data), name, "image/jpeg")]},
                       content_type="multipart/form-data", headers=headers)


@pytest.fixture
def token(app, auth):
    return make_token(app, auth.signup_and_login())


_expected_box_holder: list = []  # the portrait's face box analysed at its own 512 px


def assert_close_to_expected(box: dict, offset=PLACE, scale=SIDE / 512):
    ex, ey, ew, eh = _expected_box_holder[0]
    x, y = offset
    # Detection at a different size moves a box by a few percent of the face at most.
    tolerance = 0.12 * ew * scale
    assert box["x"] == pytest.approx(x + ex * scale, abs=tolerance)
    assert box["y"] == pytest.approx(y + ey * scale, abs=tolerance)
    assert box["w"] == pytest.approx(ew * scale, abs=tolerance)
    assert box["h"] == pytest.approx(eh * scale, abs=tolerance)


@pytest.fixture
def reference(client, token):
    if not _expected_box_holder:
        answer = upload(client, jpeg(astronaut_bgr()), "small.jpg", **bearer(token)).get_json()
        face = answer["results"][0]["faces"][0]["box"]
        _expected_box_holder.append((face["x"], face["y"], face["w"], face["h"]))
    return _expected_box_holder[0]


def test_a_4000x3000_photo_is_reported_in_its_own_pixels_everywhere(client, token, reference):
    answer = upload(client, jpeg(big_photo_bgr()), "big.jpg", **bearer(token))
    assert answer.status_code == 200, answer.get_json()
    [result] = answer.get_json()["results"]
    assert (result["width"], result["height"]) == (4000, 3000)
    [face] = result["faces"]
    assert_close_to_expected(face["box"])

    # The stored analysis, the list, the export (JSON and CSV) and the result page say the same.
    stored = client.get(f"{V1}/analyses/{result['id']}", headers=bearer(token)).get_json()
    assert (stored["width"], stored["height"]) == (4000, 3000) and stored["faces"][0]["box"] == face["box"]
    listed = client.get(f"{V1}/analyses", headers=bearer(token)).get_json()["items"][0]
    assert listed["faces"][0]["box"] == face["box"]
    exported = next(item for item in client.get(f"{V1}/export", headers=bearer(token)).get_json()["analyses"]
                    if item["id"] == result["id"])
    assert (exported["width"], exported["height"]) == (4000, 3000)
    assert exported["faces"][0]["box"] == face["box"]
    rows = [row for row in csv.DictReader(io.StringIO(
        client.get(f"{V1}/export.csv", headers=bearer(token)).get_data(as_text=True)))
        if row["analysis_id"] == str(result["id"])]
    assert (rows[0]["image_width"], rows[0]["image_height"]) == ("4000", "3000")
    assert int(rows[0]["x"]) == face["box"]["x"] and int(rows[0]["w"]) == face["box"]["w"]
    page = client.get(f"/analyses/{result['id']}").get_data(as_text=True)
    assert "4000×3000 px" in page
    assert f'data-px="{face["box"]["x"]},{face["box"]["y"]},{face["box"]["w"]},{face["box"]["h"]}"' in page


def test_exif_rotation_turns_the_reported_size_and_the_boxes(client, token, reference):
    # Stored lying on its side (3000 wide, 4000 tall as written), shown upright by orientation 8.
    sideways = cv2.rotate(big_photo_bgr(), cv2.ROTATE_90_CLOCKWISE)
    answer = upload(client, jpeg(sideways, exif_orientation=8), "phone.jpg", **bearer(token)).get_json()
    [result] = answer["results"]
    assert (result["width"], result["height"]) == (4000, 3000)
    assert_close_to_expected(result["faces"][0]["box"])


def test_webcam_answers_use_the_frame_pixels(client, token):
    # A wide frame (2400 px) is reduced for the search; its faces come back in its own pixels.
    canvas = np.full((800, 2400, 3), 170, np.uint8)
    canvas[100:700, 1500:2100] = cv2.resize(astronaut_bgr(), (600, 600), interpolation=cv2.INTER_AREA)
    session_id = client.post(f"{V1}/webcam/sessions", headers=bearer(token)).get_json()["id"]
    answer = client.post(f"{V1}/webcam/sessions/{session_id}/frames", data=jpeg(canvas),
                         content_type="image/jpeg", headers=bearer(token)).get_json()
    assert (answer["width"], answer["height"]) == (2400, 800)
    [face] = answer["faces"]
    # The same frame sent at half size (searched as it is) finds the face at half the numbers.
    half = client.post(f"{V1}/webcam/sessions/{session_id}/frames",
                       data=jpeg(cv2.resize(canvas, (1200, 400), interpolation=cv2.INTER_AREA)),
                       content_type="image/jpeg", headers=bearer(token)).get_json()
    assert (half["width"], half["height"]) == (1200, 400)
    for name in "xywh":
        assert face["box"][name] == pytest.approx(2 * half["faces"][0]["box"][name], abs=6)
    assert 1500 <= face["box"]["x"] < 2100
    summary = client.get(f"{V1}/webcam/sessions/{session_id}", headers=bearer(token)).get_json()
    second = summary["seconds"][0]
    assert (second["width"], second["height"]) == (2400, 800)  # the second's first frame


def test_a_box_is_scaled_back_and_kept_inside_the_picture():
    picture = decode_picture(jpeg(big_photo_bgr()))
    assert (picture.width, picture.height) == (4000, 3000)
    assert picture.image.shape[:2] == (1500, 2000)  # searched at half size
    assert picture.original_box((10, 20, 30, 40)) == (20, 40, 60, 80)
    assert picture.original_box((-5, -5, 30, 30)) == (0, 0, 50, 50)
    x, y, w, h = picture.original_box((1990, 1490, 100, 100))
    assert x + w <= 4000 and y + h <= 3000 and w >= 1 and h >= 1
