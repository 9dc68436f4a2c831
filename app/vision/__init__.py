"""The vision core: decode an image, find faces, classify their emotion.

Plain Python (OpenCV, onnxruntime, numpy); usable from a script or notebook
and knows nothing of Flask.
"""
from app.vision.analyzer import FAST_DETECTION_SIDE, PHOTO_DETECTION_SIDE, EmotionAnalyzer, Face
from app.vision.image_io import InvalidImage, decode_image
from app.vision.preprocess import EMOTIONS, prepare_face

__all__ = ["EMOTIONS", "EmotionAnalyzer", "Face", "InvalidImage", "decode_image", "prepare_face",
           "FAST_DETECTION_SIDE", "PHOTO_DETECTION_SIDE"]
