"""The landing page's example: a real photo analysed by the real model, once per process.

``static/img/example.jpg`` is NASA's public-domain portrait of astronaut Eileen Collins (the
``astronaut`` image of scikit-image, saved once into the repository, so the running app does not
need scikit-image). Each worker analyses it once, at start-up under gunicorn (``warm_up``) or
else on the first visit to the landing page, and keeps the answer for its life.
"""
import threading
from pathlib import Path

from flask import current_app

from app.analysis.engine import get_analyzer
from app.vision import decode_image

EXAMPLE_FILE = "img/example.jpg"
_cache: dict = {}
_lock = threading.Lock()


def example_result() -> dict | None:
    """{"image": static path, "width", "height", "faces": [face dicts]}, or None if unavailable."""
    key = current_app.config.get("EMOTION_MODEL_PATH")
    if key not in _cache:
        with _lock:
            if key not in _cache:
                _cache[key] = _analyse_example()
    return _cache[key]


def _analyse_example() -> dict | None:
    path = Path(current_app.static_folder) / EXAMPLE_FILE
    try:
        image = decode_image(path.read_bytes())
        faces = get_analyzer().analyze(image)
    except Exception:  # the landing page must render even without the example
        current_app.logger.exception("could not analyse the landing page example %s", path)
        return None
    height, width = image.shape[:2]
    return {"image": EXAMPLE_FILE, "width": int(width), "height": int(height),
            "faces": [face.to_dict() for face in faces]}
