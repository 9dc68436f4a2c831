"""The OpenAPI side of the JSON API: flask-smorest's ``Api``, with errors described as
``application/problem+json`` (RFC 9457) instead of its own error shape.

The error *answers* are made by ``app.errors`` for every route; this module only makes the
generated document say what they look like.
"""
import http

import marshmallow as ma
from flask_smorest import Api
from flask_smorest.utils import prepare_response

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemSchema(ma.Schema):
    """An error (RFC 9457 problem details)."""

    type = ma.fields.String(metadata={"description": "A URI naming the kind of problem; about:blank when "
                                                     "the status says it all.", "example": "about:blank"})
    title = ma.fields.String(required=True, metadata={"description": "Short summary of the kind of problem."})
    status = ma.fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    detail = ma.fields.String(required=True, metadata={"description": "What went wrong with this request, "
                                                                      "in words fit to show a person."})
    error = ma.fields.String(metadata={"description": "The same text as detail, kept for clients written "
                                                     "before /api/v1."})
    invalid_params = ma.fields.Dict(metadata={"description": "For 422: the request's fields that were "
                                                             "refused, by location, with their messages."})


class ProblemApi(Api):
    """flask-smorest's Api whose documented error responses are problem documents."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        """Errors are answered by app.errors (problem+json under /api/, pages elsewhere)."""

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error (problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)


TAGS = (
    ("Analyses", "Analyse pictures; list, read and delete your stored results."),
    ("History", "What the dashboard charts, and the export of everything you stored."),
    ("Webcam", "Live camera sessions: start, one frame at a time, stop."),
    ("Videos", "Video files: upload (202 and a job), progress, face tracks over time, cancel or delete."),
    ("Access tokens", "Personal access tokens for scripts."),
)


def document_tags(api: Api, blueprint_name: str) -> None:
    """The operations' own tags, in this order, instead of one tag named after the blueprint."""
    tags = api.spec._tags  # apispec keeps them in a list; there is no public way to drop one
    tags[:] = [tag for tag in tags if tag["name"] != blueprint_name]
    for name, description in TAGS:
        api.spec.tag({"name": name, "description": description})


def document_security(api: Api) -> None:
    """The two ways to authenticate, in the document; each operation accepts either."""
    spec = api.spec
    spec.components.security_scheme("accessToken", {
        "type": "http", "scheme": "bearer",
        "description": "A personal access token (account page, POST /api/v1/tokens, or "
                       "`flask --app app tokens create`). Read-only tokens get 403 on calls that change data.",
    })
    spec.components.security_scheme("sessionCookie", {
        "type": "apiKey", "in": "cookie", "name": "session",
        "description": "The browser's login session; calls that change data also need the CSRF token "
                       "in an X-CSRFToken header.",
    })
    spec.options["security"] = [{"accessToken": []}, {"sessionCookie": []}]
    from app.api_v1.schemas import JsonImage

    spec.components.schema("JsonImage", schema=JsonImage)
