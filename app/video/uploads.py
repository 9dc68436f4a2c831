"""The larger body limit of video uploads (the rest of the site keeps MAX_CONTENT_LENGTH)."""
from flask import Flask, request

VIDEO_UPLOAD_ENDPOINTS = {"api_v1.create_video", "video.upload"}
FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and the form token


def register(app: Flask) -> None:
    @app.before_request
    def allow_video_sized_body():
        if request.endpoint in VIDEO_UPLOAD_ENDPOINTS and request.method == "POST":
            request.max_content_length = app.config["VIDEO_MAX_BYTES"] + FORM_OVERHEAD
