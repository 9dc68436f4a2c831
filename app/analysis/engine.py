"""One EmotionAnalyzer per worker process, created on first use.

Loading lazily means gunicorn's master never holds an ONNX session that would be shared across a
fork; each worker builds its own on its first request (or in gunicorn's post_worker_init hook).
"""
import threading

from flask import current_app

_analyzers: dict = {}
_lock = threading.Lock()


def get_analyzer():
    model_path = current_app.config.get("EMOTION_MODEL_PATH")
    analyzer = _analyzers.get(model_path)
    if analyzer is None:
        with _lock:
            analyzer = _analyzers.get(model_path)
            if analyzer is None:
                from app.vision import EmotionAnalyzer
                from app.vision.classifier import DEFAULT_MODEL_PATH

                analyzer = EmotionAnalyzer(model_path=model_path or DEFAULT_MODEL_PATH,
                                           at_once=current_app.config.get("ANALYSES_AT_ONCE") or None)
                _analyzers[model_path] = analyzer
    return analyzer


def warm_up(app) -> None:
    """Load the model and analyse the landing page's example now (called from gunicorn's
    post_worker_init, i.e. after the fork), so the first visitors do not wait for either."""
    from app.analysis.example import example_result
    from app.vision.memory import release_freed_memory

    with app.app_context():
        get_analyzer()
        example_result()
    release_freed_memory()
