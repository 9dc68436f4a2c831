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
