"""Typed request and response schemas of the JSON API (marshmallow): they check what comes in
and are what the OpenAPI document is generated from."""
import marshmallow as ma
from marshmallow import fields, validate

from app.auth.tokens import MAX_EXPIRY_DAYS, NAME_LENGTH, SCOPES
from app.dashboard.stats import BUCKET_CHOICES, BUCKETS, HISTORY_PAGE_SIZE, PRESETS
from app.models import EMOTION_COLUMNS, SOURCES, VIDEO_STATUSES
from app.openapi import ProblemSchema

MAX_PAGE = 1_000_000
MAX_PER_PAGE = 100


def timestamp(description: str, **kwargs):
    """A UTC time written as ISO 8601 with a Z (the models' own format)."""
    return fields.String(metadata={"format": "date-time", "description": description}, **kwargs)


class Box(ma.Schema):
    x = fields.Integer(required=True)
    y = fields.Integer(required=True)
    w = fields.Integer(required=True)
    h = fields.Integer(required=True)


Scores = type("Scores", (ma.Schema,), {
    emotion: fields.Float(required=True, metadata={"minimum": 0, "maximum": 1}) for emotion in EMOTION_COLUMNS
})


class Face(ma.Schema):
    box = fields.Nested(Box, required=True, metadata={"description": "The face in the picture's own pixels, "
                                                                     "upright (after its EXIF rotation), however "
                                                                     "it was reduced for the search."})
    label = fields.String(required=True, validate=validate.OneOf(EMOTION_COLUMNS),
                          metadata={"description": "The expression with the highest score."})
    confidence = fields.Float(required=True, metadata={"description": "The label's score."})
    uncertain = fields.Boolean(required=True, metadata={"description": "The model is unsure (see /about)."})
    scores = fields.Nested(Scores, required=True)


class Analysis(ma.Schema):
    id = fields.Integer(required=True)
    created_at = timestamp("When it was analysed (UTC).", required=True)
    source = fields.String(required=True, validate=validate.OneOf(SOURCES))
    filename = fields.String(required=True, allow_none=True, metadata={"description": "Null for webcam seconds."})
    width = fields.Integer(required=True, metadata={"description": "The picture's own width in pixels, upright."})
    height = fields.Integer(required=True, metadata={"description": "The picture's own height in pixels, upright."})
    frame_count = fields.Integer(required=True, metadata={"description": "1 for a picture; frames averaged "
                                                                         "for a webcam second."})
    webcam_session_id = fields.Integer(required=True, allow_none=True)
    video_id = fields.Integer(allow_none=True, metadata={"description": "The video it summarises (source video)."})
    faces = fields.List(fields.Nested(Face), required=True)


class RefusedFile(ma.Schema):
    filename = fields.String(required=True)
    error = fields.String(required=True, metadata={"description": "Starts with the file's name."})
    status = fields.Integer(required=True, metadata={"description": "The status this file alone would get."})


class FileOutcome(ma.Schema):
    filename = fields.String(required=True)
    ok = fields.Boolean(required=True)
    analysis = fields.Nested(Analysis, metadata={"description": "When ok."})
    error = fields.String(metadata={"description": "When not ok."})
    status = fields.Integer(metadata={"description": "When not ok."})


class AnalysisBatch(ma.Schema):
    results = fields.List(fields.Nested(Analysis), required=True, metadata={"description": "Stored analyses."})
    errors = fields.List(fields.Nested(RefusedFile), required=True, metadata={"description": "Refused files."})
    files = fields.List(fields.Nested(FileOutcome), required=True,
                        metadata={"description": "One entry per sent file, in order."})


class AnalysisBatchProblem(ProblemSchema):
    """No file was stored (or the request itself was refused, without the lists)."""

    results = fields.List(fields.Nested(Analysis))
    errors = fields.List(fields.Nested(RefusedFile))
    files = fields.List(fields.Nested(FileOutcome))


class DateFilter(ma.Schema):
    from_ = fields.Date(data_key="from", metadata={"description": "First day (in tz), inclusive."})
    to = fields.Date(metadata={"description": "Last day (in tz), inclusive."})
    tz = fields.String(validate=validate.Length(max=64),
                       metadata={"description": "IANA time zone of the days (default UTC).", "example": "Europe/Paris"})


class AnalysisListQuery(DateFilter):
    source = fields.String(validate=validate.OneOf(SOURCES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=HISTORY_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class AnalysisPage(ma.Schema):
    items = fields.List(fields.Nested(Analysis), required=True, metadata={"description": "Newest first."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True)


class StatsQuery(DateFilter):
    preset = fields.String(validate=validate.OneOf(list(PRESETS)),
                           metadata={"description": "Instead of from/to: the last 7 or 30 days, or all."})
    bucket = fields.String(load_default="day", validate=validate.OneOf(BUCKET_CHOICES),
                           metadata={"description": "hour, day or week; auto: hours when the range (or the data) "
                                                    "covers one or two days, days otherwise."})
    source = fields.String(validate=validate.OneOf(SOURCES), metadata={"description": "Only this source."})


class ExportQuery(DateFilter):
    preset = fields.String(validate=validate.OneOf(list(PRESETS)),
                           metadata={"description": "Instead of from/to: the last 7 or 30 days, or all."})
    source = fields.String(validate=validate.OneOf(SOURCES), metadata={"description": "Only this source."})
    emotion = fields.String(validate=validate.OneOf(EMOTION_COLUMNS),
                            metadata={"description": "Only analyses with a face of this expression."})


PerSource = type("PerSource", (ma.Schema,), {source: fields.Integer(required=True) for source in SOURCES})
DistributionSchema = type("Distribution", (ma.Schema,), {
    source: fields.List(fields.Integer(), required=True, metadata={"description": "Faces per emotion, in "
                                                                                  "the order of emotions."})
    for source in SOURCES
})
SeriesSchema = type("Series", (ma.Schema,), {
    emotion: fields.List(fields.Integer(), required=True) for emotion in EMOTION_COLUMNS
})


class Totals(ma.Schema):
    analyses = fields.Nested(PerSource, required=True)
    faces = fields.Nested(PerSource, required=True)


class RangeSchema(ma.Schema):
    from_ = fields.String(data_key="from", attribute="from", required=True,
                          metadata={"description": "YYYY-MM-DD or empty."})
    to = fields.String(required=True, metadata={"description": "YYYY-MM-DD or empty."})


BySourceSchema = type("BySource", (ma.Schema,), {
    source: fields.Nested(SeriesSchema, required=True) for source in SOURCES
})


class Timeline(ma.Schema):
    labels = fields.List(fields.String(), required=True, metadata={"description": "Every hour (YYYY-MM-DDTHH:00, "
                                                                                  "local), day or week (its Monday) "
                                                                                  "of the range."})
    series = fields.Nested(SeriesSchema, required=True, metadata={"description": "Faces per emotion per period."})
    by_source = fields.Nested(BySourceSchema, required=True,
                              metadata={"description": "The same per source: shares compare within a source."})


class Stats(ma.Schema):
    bucket = fields.String(required=True, validate=validate.OneOf(BUCKETS))
    source = fields.String(required=True, metadata={"description": "The source filter; empty for both."})
    range = fields.Nested(RangeSchema, required=True)
    time_zone = fields.String(required=True)
    reversed = fields.Boolean(required=True, metadata={"description": "True when from is after to."})
    emotions = fields.List(fields.String(), required=True)
    totals = fields.Nested(Totals, required=True)
    distribution = fields.Nested(DistributionSchema, required=True)
    timeline = fields.Nested(Timeline, required=True)


class Photo(ma.Schema):
    content_type = fields.String(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    base64 = fields.String(required=True)


class ExportedAnalysis(Analysis):
    photo = fields.Nested(Photo, required=True, allow_none=True, metadata={"description": "The kept photo."})


class ExportUser(ma.Schema):
    username = fields.String(required=True)
    email = fields.String(required=True)


class Export(ma.Schema):
    user = fields.Nested(ExportUser, required=True)
    exported_at = timestamp("When the export was made.", required=True)
    emotions = fields.List(fields.String(), required=True)
    analyses = fields.List(fields.Nested(ExportedAnalysis), required=True)
    videos = fields.List(fields.Nested(lambda: VideoExport()), required=True,
                         metadata={"description": "Your videos with their face tracks, oldest first."})


class TokenCreate(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=NAME_LENGTH))
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), load_default=["read"],
                         validate=validate.Length(min=1, max=len(SCOPES)),
                         metadata={"description": '["read"], or ["read", "write"] to change data too.'})
    expires_in_days = fields.Integer(load_default=None, allow_none=True,
                                     validate=validate.Range(min=1, max=MAX_EXPIRY_DAYS),
                                     metadata={"description": "Null: the token never expires."})


class Token(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True, metadata={"description": "The token's first characters."})
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True)
    created_at = timestamp("When it was made.", required=True)
    expires_at = timestamp("When it stops working; null for never.", required=True, allow_none=True)
    last_used_at = timestamp("Its last use (to the minute); null if never.", required=True, allow_none=True)


class NewToken(Token):
    token = fields.String(required=True, metadata={"description": "The token itself, shown this once only."})


class TokenList(ma.Schema):
    items = fields.List(fields.Nested(Token), required=True)


class WebcamSession(ma.Schema):
    id = fields.Integer(required=True)
    started_at = timestamp("Start (UTC).", required=True)
    ended_at = timestamp("Stop (UTC); null while it runs.", required=True, allow_none=True)
    duration_s = fields.Float(required=True, allow_none=True)
    frames_analysed = fields.Integer(required=True)
    seconds_with_faces = fields.Integer(required=True)
    frames_with_faces = fields.Integer(required=True)
    dominant_emotion = fields.String(required=True, allow_none=True)
    label_counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    seconds = fields.List(fields.Nested(Analysis), required=True,
                          metadata={"description": "One per second with faces: scores averaged over its frames."})


class TrackedFace(Face):
    id = fields.Integer(required=True, metadata={"description": "The face's track: the same person from frame to frame."})


class FrameResult(ma.Schema):
    session_id = fields.Integer(required=True)
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    faces = fields.List(fields.Nested(Face), required=True, metadata={"description": "This frame's own scores."})
    tracks = fields.List(fields.Nested(TrackedFace), required=True,
                         metadata={"description": "The same faces followed over frames, scores smoothed; largest first."})
    analysis_ms = fields.Float(required=True)


class JsonImage(ma.Schema):
    image = fields.String(required=True, metadata={"description": "The picture as base64 (or a data: URL)."})
    filename = fields.String(metadata={"description": "Shown back to you; default image."})


class VideoSecond(ma.Schema):
    t = fields.Integer(required=True, metadata={"description": "Second of the video (from 0)."})
    label = fields.String(required=True, validate=validate.OneOf(EMOTION_COLUMNS))
    scores = fields.Nested(Scores, required=True, metadata={"description": "Averaged over that second's frames."})


VideoSummary = type("VideoSummary", (ma.Schema,), {
    emotion: fields.Float(required=True, metadata={"minimum": 0, "maximum": 1}) for emotion in EMOTION_COLUMNS
})


class VideoTrack(ma.Schema):
    id = fields.Integer(required=True, metadata={"description": "1, 2, ... by first appearance."})
    start = fields.Integer(required=True, metadata={"description": "First second with this face."})
    end = fields.Integer(required=True, metadata={"description": "End of its last second."})
    seconds = fields.List(fields.Nested(VideoSecond), required=True)
    summary = fields.Nested(VideoSummary, required=True, metadata={"description": "Share of its seconds per emotion."})


class VideoProgress(ma.Schema):
    frames_done = fields.Integer(required=True)
    frames_total = fields.Integer(required=True, allow_none=True)
    elapsed_seconds = fields.Float(required=True, allow_none=True)
    eta_seconds = fields.Float(required=True, allow_none=True, metadata={"description": "Estimated time left."})


class Video(ma.Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True, metadata={"description": "This job's address in the API."})
    page_url = fields.String(required=True, metadata={"description": "Its page (progress, then the timeline)."})
    filename = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(VIDEO_STATUSES))
    error = fields.String(required=True, allow_none=True, metadata={"description": "Why it failed."})
    created_at = timestamp("Uploaded (UTC).", required=True)
    started_at = timestamp("Its worker started (UTC).", required=True, allow_none=True)
    finished_at = timestamp("Ended (UTC).", required=True, allow_none=True)
    size_bytes = fields.Integer(required=True)
    width = fields.Integer(required=True, allow_none=True)
    height = fields.Integer(required=True, allow_none=True)
    duration_seconds = fields.Float(required=True, allow_none=True)
    sample_fps = fields.Float(required=True, metadata={"description": "Frames analysed per second of video."})
    attempts = fields.Integer(required=True, metadata={"description": "Workers that took the job."})
    progress = fields.Nested(VideoProgress, required=True)
    analysis_id = fields.Integer(required=True, allow_none=True,
                                 metadata={"description": "Its row in the history (source video) once done."})
    tracks = fields.List(fields.Nested(VideoTrack), required=True, metadata={"description": "One per face."})


class VideoList(ma.Schema):
    items = fields.List(fields.Nested(Video), required=True, metadata={"description": "Newest first (100 at most)."})


class VideoExport(Video):
    class Meta:
        exclude = ("url", "page_url")
