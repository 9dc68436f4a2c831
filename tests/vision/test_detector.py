"""Face finding on real photos: tilted faces, phone pictures, group photos, and no false faces."""
import io
import time
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from PIL import Image

from app.vision import PHOTO_SEARCH, VIDEO_SEARCH, EmotionAnalyzer, decode_image, detector
from app.vision.classifier import DEFAULT_MODEL_PATH as EMOTION_MODEL
from tests.faces import astronaut_bgr, cameraman_bgr, group_photo, no_face_images, rotated, two_face_photo

ONNX_YUNET = detector.YUNET_FILE.with_suffix(".onnx")


@pytest.fixture(scope="module")
def analyzer():
    return EmotionAnalyzer()


@pytest.mark.parametrize("degrees", [-25, 25])
@pytest.mark.parametrize("photo", [astronaut_bgr, cameraman_bgr], ids=["astronaut", "cameraman"])
@pytest.mark.parametrize("search", [PHOTO_SEARCH, VIDEO_SEARCH], ids=["photo", "video"])
def test_faces_tilted_by_25_degrees_are_found(analyzer, photo, degrees, search):
    faces = analyzer.analyze(rotated(photo(), degrees), search=search)
    assert len(faces) == 1


def test_every_face_of_a_group_photo_is_found(analyzer):
    faces = analyzer.analyze(group_photo())
    assert len(faces) == 4
    centres = sorted((x + w // 2, y + h // 2) for (x, y, w, h) in (f.box for f in faces))
    # One face inside each pasted picture: large astronaut, small astronaut, tilted one, cameraman.
    assert centres[0][0] < 440 and centres[-1][0] > 730
    assert sum(1 for cx, cy in centres if 460 <= cx < 760 and cy > 380) == 1


def test_composed_two_face_image_gives_two_faces(analyzer):
    assert len(analyzer.analyze(two_face_photo())) == 2


def opencv_yunet_rows(small: np.ndarray, score_threshold: float) -> np.ndarray:
    """The reference: the vendored ONNX YuNet through OpenCV's own ``FaceDetectorYN``."""
    height, width = small.shape[:2]
    yunet = cv2.FaceDetectorYN.create(str(ONNX_YUNET), "", (width, height), score_threshold,
                                      detector.NMS_THRESHOLD, detector.CANDIDATES)
    rows = yunet.detect(small)[1]
    return np.zeros((0, 15), np.float32) if rows is None else rows


def parity_pictures() -> dict[str, np.ndarray]:
    pictures = {"astronaut": astronaut_bgr(), "two faces": two_face_photo(), "group": group_photo(),
                "cameraman": cameraman_bgr(), "tilted -25": rotated(astronaut_bgr(), -25),
                "tilted 25": rotated(cameraman_bgr(), 25), "odd size": astronaut_bgr()[3:400, 5:333]}
    return pictures | {name: no_face_images()[name] for name in ("brick", "chelsea", "noise")}


@pytest.mark.parametrize("search", [PHOTO_SEARCH, VIDEO_SEARCH], ids=["photo", "video"])
@pytest.mark.parametrize("name", list(parity_pictures()))
def test_litert_yunet_finds_what_opencv_finds(name, search):
    """The detector runs YuNet in LiteRT and decodes it itself; every face, landmark and score
    must be the one OpenCV's FaceDetectorYN gives for the same file and picture, including
    weak candidates down to a 0.3 score, where the decoding and suppression are most tested."""
    picture = parity_pictures()[name]
    scale = min(1.0, search.max_side / max(picture.shape[:2]))
    small = cv2.resize(picture, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else picture
    ours = detector.FaceDetector()._search(small, 0.3, keep_detector=True)
    reference = opencv_yunet_rows(small, 0.3)
    assert len(ours) == len(reference)
    ours, reference = by_position(ours), by_position(reference)  # the same faces, in any order
    np.testing.assert_allclose(ours[:, :14], reference[:, :14], atol=1e-3)  # measured: 4e-5 px
    np.testing.assert_allclose(ours[:, 14], reference[:, 14], atol=1e-5)  # measured: 6e-7


def by_position(rows: np.ndarray) -> np.ndarray:
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


def test_a_file_that_is_not_a_yunet_export_is_refused_at_start_up():
    with pytest.raises(RuntimeError, match="not a YuNet export"):
        detector.FaceDetector(model_file=EMOTION_MODEL)


def exif_rotated_jpeg(photo_bgr: np.ndarray, orientation: int) -> bytes:
    """A JPEG stored sideways with the EXIF tag that tells viewers how to turn it, as phones write."""
    undo = {6: cv2.ROTATE_90_COUNTERCLOCKWISE, 8: cv2.ROTATE_90_CLOCKWISE, 3: cv2.ROTATE_180}[orientation]
    stored = cv2.rotate(photo_bgr, undo)
    image = Image.fromarray(cv2.cvtColor(stored, cv2.COLOR_BGR2RGB))
    exif = image.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92, exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_rotated_phone_photo_is_turned_upright_and_its_face_found(analyzer, orientation):
    photo = astronaut_bgr()
    decoded = decode_image(exif_rotated_jpeg(photo, orientation))
    assert decoded.shape == photo.shape
    assert np.abs(decoded.astype(int) - photo).mean() < 4  # upright again, up to JPEG loss
    faces = analyzer.analyze(decoded)
    assert len(faces) == 1 and faces[0].label == "happy"
    x, y, w, h = faces[0].box
    assert 150 < x + w / 2 < 300 and 50 < y + h / 2 < 200  # where her face is in the upright photo


@pytest.mark.parametrize("name", list(no_face_images()))
def test_pictures_without_a_face_give_no_face(analyzer, name):
    image = no_face_images()[name]
    assert analyzer.analyze(image) == []
    assert analyzer.analyze(image, search=VIDEO_SEARCH) == []


def test_concurrent_analyses_equal_the_serial_ones():
    """Many threads sharing one analyzer, each image of a different size: every result equals
    the one the same image gives alone (a detector shared between threads mixes up sizes)."""
    analyzer = EmotionAnalyzer()
    images = [astronaut_bgr(), two_face_photo(), group_photo(), cameraman_bgr(),
              cv2.resize(astronaut_bgr(), (640, 640))[80:560], rotated(astronaut_bgr(), 25),
              no_face_images()["brick"], cv2.resize(two_face_photo(), None, fx=0.6, fy=0.6)]
    searches = [PHOTO_SEARCH, VIDEO_SEARCH]
    jobs = [(i, s) for i in range(len(images)) for s in range(len(searches))] * 12
    expected = {(i, s): [(f.box, f.label) for f in analyzer.analyze(images[i], searches[s])]
                for i in range(len(images)) for s in range(len(searches))}

    def run(job):
        i, s = job
        return job, [(f.box, f.label) for f in analyzer.analyze(images[i], searches[s])]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, jobs))
    wrong = [job for job, faces in results if faces != expected[job]]
    assert not wrong, f"{len(wrong)} of {len(results)} concurrent results differ from the serial ones"


def test_runtime_objects_are_pooled_not_kept_per_thread():
    """Eight threads analysing at once need at most eight interpreters and eight pooled YuNets,
    and threads that come later reuse them instead of building their own."""
    analyzer = EmotionAnalyzer()
    frame = cv2.resize(astronaut_bgr(), (640, 480))
    for _ in range(3):
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: analyzer.analyze(frame, VIDEO_SEARCH), range(32)))
    assert 1 <= analyzer.classifier.runner._pool.created <= 8
    assert 1 <= analyzer.detector._pool.created <= 8


def test_photo_searches_wait_for_each_other_but_frames_do_not(analyzer):
    """A photo search holds about 90 MB while it runs: one at a time per process. A webcam frame
    goes ahead while a photo search is running."""
    photo = astronaut_bgr()
    slots = detector._large_searches
    with ThreadPoolExecutor(max_workers=1) as pool:
        with slots:  # another photo search is running
            waiting = pool.submit(analyzer.analyze, photo, PHOTO_SEARCH)
            time.sleep(0.5)
            assert not waiting.done()
            assert len(analyzer.analyze(cv2.resize(photo, (640, 480)), VIDEO_SEARCH)) == 1
        assert len(waiting.result(timeout=30)) == 1


def test_an_analyzer_bounded_to_one_at_once_gives_the_same_answers_from_many_threads():
    """The web workers' setting (ANALYSES_AT_ONCE=1): one interpreter and one frame detector
    serve every thread, and each answer is the one the picture gives alone."""
    analyzer = EmotionAnalyzer(at_once=1)
    pictures = [cv2.resize(astronaut_bgr(), (640, 480)), two_face_photo(), cameraman_bgr()]
    expected = [[(f.box, f.label) for f in analyzer.analyze(p, VIDEO_SEARCH)] for p in pictures]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda i: [(f.box, f.label) for f in analyzer.analyze(pictures[i % 3], VIDEO_SEARCH)],
                                range(36)))
    assert answers == [expected[i % 3] for i in range(36)]
    assert analyzer.classifier.runner._pool.created == 1
    assert analyzer.detector._pool.created == 1
