"""Facial emotion recognition web app.

``create_app`` lives in :mod:`app.factory`. It is reached lazily so that
``import app.vision`` -- the Flask-free vision core, used by the training
package and by scripts -- does not pull in Flask and the database layer.
"""


def __getattr__(name: str):
    if name == "create_app":
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")


__all__ = ["create_app"]
