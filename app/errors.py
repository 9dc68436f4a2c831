"""Error responses: problem details (RFC 9457, ``application/problem+json``) for the JSON API and
the other JSON addresses, an HTML page everywhere else. Never a bare 500 trace."""
from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from app.extensions import db, login_manager
from app.openapi import PROBLEM_CONTENT_TYPE


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def problem(status: int, title: str, detail: str, headers: dict | None = None, **members):
    """A problem document. ``error`` repeats ``detail`` for clients written before /api/v1."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "error": detail, **members}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_CONTENT_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(status: int, title: str, message: str, headers: dict | None = None, **members):
    if wants_json():
        return problem(status, title, message, headers, **members)
    response = render_template("error.html", status=status, title=title, message=message), status
    return response if not headers else (*response, headers)


# Our own words for the errors people meet, instead of the framework's.
FRIENDLY = {
    400: ("Something in the request was wrong", "The page could not use what was sent. Go back and try again."),
    403: ("Not allowed", "You are not allowed to do that."),
    404: ("Page not found", "There is nothing at this address, or it belongs to another account. "
                            "Check the link, or start again from the dashboard."),
    405: ("That does not work here", "This address cannot be used that way (for example, a form was opened "
                                     "as a link). Go back and use the page's buttons."),
    500: ("Something went wrong", "An unexpected error occurred on our side. It has been logged; please try again."),
}
# The JSON API's titles: the same facts, without page words ("go back", "link").
API_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
API_DETAILS = {
    400: "The request could not be used.",
    404: "There is nothing at this address, or it belongs to another account.",
    405: "This address does not accept this method.",
}


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(
            400, "Form expired", "The form's security token was missing or invalid. Reload the page and try again."
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        from flask import request

        limit_mb = (request.max_content_length or app.config["MAX_CONTENT_LENGTH"]) / (1024 * 1024)
        return error_response(413, "Upload too large", f"The upload is larger than the {limit_mb:.0f} MB limit.")

    @app.errorhandler(429)
    def too_many_requests(error):
        # One message for every limit: it must not tell which limit (address or account) was hit.
        return error_response(429, "Too many attempts", "Too many attempts. Wait a minute and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        title, default_message = FRIENDLY.get(code, (error.name, error.description or error.name))
        # A description passed to abort() is ours and specific; werkzeug's stock text is not.
        own = error.description and error.description != type(error).description
        members = {}
        data = getattr(error, "data", None)  # request validation (webargs): which fields, and why
        if isinstance(data, dict) and data.get("messages"):
            members["invalid_params"] = data["messages"]
            own, error.description = True, "Some of the request's fields are invalid: see invalid_params."
        if wants_json():
            title = API_TITLES.get(code, title)
            default_message = API_DETAILS.get(code, default_message)
        headers = dict(error.get_headers()) if code in (401, 405) else {}
        headers.pop("Content-Type", None)
        return error_response(code, title, error.description if own else default_message, headers, **members)

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        db.session.rollback()
        return error_response(500, "Something went wrong", "An unexpected error occurred. It has been logged.")

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return problem(401, "Unauthorized", "Log in first, or send an access token: Authorization: Bearer <token>.",
                           {"WWW-Authenticate": 'Bearer realm="moodlens"'})
        flash("Please log in to continue.", "info")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
