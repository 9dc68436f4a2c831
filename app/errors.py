"""Error responses: JSON under /api/, an HTML page everywhere else. Never a bare 500 trace."""
from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from app.extensions import db, login_manager


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def error_response(status: int, title: str, message: str):
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, title=title, message=message), status


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


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return error_response(
            400, "Form expired", "The form's security token was missing or invalid. Reload the page and try again."
        )

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error):
        limit_mb = app.config["MAX_CONTENT_LENGTH"] / (1024 * 1024)
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
        return error_response(code, title, error.description if own else default_message)

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        db.session.rollback()
        return error_response(500, "Something went wrong", "An unexpected error occurred. It has been logged.")

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return jsonify(error="Log in first."), 401
        flash("Please log in to continue.", "info")
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
