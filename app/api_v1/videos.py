"""/api/v1/videos: upload a video (202 and a job), follow its progress, read its tracks, cancel or delete."""
from flask import Response, abort, request, url_for
from flask_login import current_user

from app.api_v1 import bp, schemas
from app.api_v1.auth import login_required
from app.errors import problem
from app.video import jobs

TAGS = ["Videos"]
UPLOAD_BODY = {
    "required": True,
    "description": "One video (MP4, MOV or WebM) as the multipart part video.",
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["video"],
        "properties": {"video": {"type": "string", "format": "binary"}},
    }}},
}
TITLES = {400: "Bad video", 413: "Video too large", 415: "Unsupported media type", 503: "Queue unavailable"}


def owned_video_or_404(video_id: int):
    video = jobs.owned(current_user.id, video_id)
    if video is None:
        abort(404, description="No such video.")
    return video


def with_urls(body: dict) -> dict:
    body["url"] = url_for("api_v1.get_video", video_id=body["id"])
    body["page_url"] = url_for("video.show", video_id=body["id"])
    return body


@bp.route("/videos", methods=["POST"], tags=TAGS)
@bp.doc(requestBody=UPLOAD_BODY, summary="Upload a video",
        description="Checked at once (type, size, frame size, length, a first frame that decodes), stored and "
                    "queued: 202 with the job; follow it at its url. A file that fails later ends as a failed "
                    "job with the reason.")
@bp.response(202, schemas.Video, headers={"Location": {"description": "The job's address.",
                                                       "schema": {"type": "string"}}})
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
@bp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.alt_response(503, response="SERVICE_UNAVAILABLE")
@login_required
def create_video():
    if request.mimetype != "multipart/form-data":
        return problem(415, "Unsupported media type", "Send the video as multipart/form-data (field 'video').")
    file = request.files.get("video")
    if file is None:
        return problem(400, "Bad video", "Choose a video file (field 'video').")
    try:
        video = jobs.upload(current_user, file)
    except jobs.VideoError as error:
        return problem(error.status, TITLES.get(error.status, "Bad video"), error.message)
    body = with_urls(jobs.status(video))
    return body, 202, {"Location": body["url"]}


@bp.route("/videos", methods=["GET"], tags=TAGS)
@bp.response(200, schemas.VideoList)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="List your videos", description="Newest first, with their status and tracks.")
@login_required
def list_videos():
    return {"items": [with_urls(jobs.status(video)) for video in jobs.videos_of(current_user.id)]}


@bp.route("/videos/<int:video_id>", methods=["GET"], tags=TAGS)
@bp.response(200, schemas.Video)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="A video job: status, progress, tracks", description="404 unless it is yours.")
@login_required
def get_video(video_id: int):
    return with_urls(jobs.status(owned_video_or_404(video_id)))


@bp.route("/videos/<int:video_id>", methods=["DELETE"], tags=TAGS)
@bp.response(200, schemas.Video, description="It was queued or running: now cancelled (its upload deleted).")
@bp.alt_response(204, description="It had ended: deleted with its results and history row.")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Cancel or delete a video", description="404 unless it is yours.")
@login_required
def delete_video(video_id: int):
    video = owned_video_or_404(video_id)
    if jobs.cancel_or_delete(video):
        return with_urls(jobs.status(video))
    return Response(status=204)
