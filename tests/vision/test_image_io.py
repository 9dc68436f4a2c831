import io

import cv2
import numpy as np
import pytest
from PIL import Image

from app.vision import InvalidImage, decode_image
from tests.faces import astronaut_bgr, png_claiming_size


def encode(image_bgr: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP"])
def test_supported_formats_decode_to_bgr(fmt):
    photo = astronaut_bgr()
    decoded = decode_image(encode(photo, fmt))
    assert decoded.shape == photo.shape and decoded.dtype == np.uint8
    if fmt != "JPEG" and fmt != "WEBP":  # lossless formats come back exactly
        np.testing.assert_array_equal(decoded, photo)


def test_exif_rotation_is_applied():
    buffer = io.BytesIO()
    image = Image.new("RGB", (200, 100), "white")
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    image.save(buffer, format="JPEG", exif=exif)
    assert decode_image(buffer.getvalue()).shape[:2] == (200, 100)


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"this is a text file, renamed .jpg", "not an image"),
    (encode(astronaut_bgr(), "JPEG")[:4000], "damaged or truncated"),
    (encode(np.zeros((1, 1, 3), np.uint8), "PNG"), "at least"),
    (encode(np.zeros((40, 40, 3), np.uint8), "GIF"), "not supported"),
])
def test_bad_input_is_refused_with_a_message(data, message):
    with pytest.raises(InvalidImage, match=message):
        decode_image(data)


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(InvalidImage, match="30000x30000 pixels; the limit"):
        decode_image(png_claiming_size(30000, 30000))


def test_multi_picture_jpeg_from_a_phone_decodes_its_main_picture():
    """Phones append depth maps or previews to the JPEG (MPF); Pillow calls that MPO."""
    photo = astronaut_bgr()
    main = Image.fromarray(cv2.cvtColor(photo, cv2.COLOR_BGR2RGB))
    buffer = io.BytesIO()
    main.save(buffer, format="MPO", save_all=True, append_images=[main.resize((128, 128))], quality=95)
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    decoded = decode_image(buffer.getvalue())
    assert decoded.shape == photo.shape
    assert np.abs(decoded.astype(int) - photo).mean() < 4


def test_sixteen_bit_gray_png_is_scaled_not_clipped():
    gray = cv2.cvtColor(astronaut_bgr(), cv2.COLOR_BGR2GRAY)
    ok, png = cv2.imencode(".png", gray.astype(np.uint16) * 257)
    assert ok
    decoded = decode_image(png.tobytes())
    np.testing.assert_array_equal(decoded[:, :, 0], gray)
    from app.vision import EmotionAnalyzer
    assert len(EmotionAnalyzer().analyze(decoded)) == 1


def test_pictures_larger_than_the_working_size_are_reduced_while_decoding():
    from app.vision.image_io import MAX_WORKING_SIDE

    big = cv2.resize(astronaut_bgr(), (4600, 4600), interpolation=cv2.INTER_LINEAR)
    for fmt in ("JPEG", "PNG"):
        decoded = decode_image(encode(big, fmt))
        assert max(decoded.shape[:2]) <= MAX_WORKING_SIDE and decoded.shape[0] == decoded.shape[1]


MEASURE_PEAK = """
import sys
from app.vision import decode_image

def status(field):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1]) / 1024

data = open(sys.argv[1], 'rb').read()
before = status('VmRSS:')
open('/proc/self/clear_refs', 'w').write('5')  # restart the peak (VmHWM) from the current size
image = decode_image(data)
print(status('VmHWM:') - before, image.shape)
"""


@pytest.mark.parametrize("kind", ["png-gray", "png-color", "jpeg"])
def test_the_largest_accepted_picture_decodes_in_bounded_memory(tmp_path, kind):
    """A 6324x6324 picture (just under the 40-megapixel limit) costs well under 400 MB to decode."""
    import subprocess
    import sys

    side = 6324
    ramp = np.linspace(0, 255, side, dtype=np.float32)
    gray = (ramp[:, None] * 0.5 + ramp[None, :] * 0.5).astype(np.uint8)
    image = gray if kind == "png-gray" else np.dstack([gray, gray[::-1], gray.T])
    path = tmp_path / ("big.png" if kind.startswith("png") else "big.jpg")
    assert cv2.imwrite(str(path), image)
    del image, gray
    out = subprocess.run([sys.executable, "-c", MEASURE_PEAK, str(path)], capture_output=True, text=True, check=True)
    extra_mb = float(out.stdout.split()[0])
    assert extra_mb < 400, out.stdout
