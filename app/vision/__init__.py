"""The vision core: decode an image, find faces, classify their emotion.

Plain Python (OpenCV, LiteRT, numpy); usable from a script or notebook
and knows nothing of Flask.
"""
from app.vision.analyzer import EmotionAnalyzer, Face
from app.vision.detector import PHOTO_SEARCH, VIDEO_SEARCH
from app.vision.image_io import InvalidImage, Picture, decode_image, decode_picture
from app.vision.preprocess import EMOTIONS, prepare_face
from app.vision.tracker import FaceTracker

__all__ = ["EMOTIONS", "EmotionAnalyzer", "Face", "InvalidImage", "Picture", "decode_image", "decode_picture",
           "prepare_face", "PHOTO_SEARCH", "VIDEO_SEARCH", "FaceTracker"]
