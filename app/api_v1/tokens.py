"""/api/v1/tokens: personal access tokens, made with a logged-in session, listed and revoked."""
from flask import Response, abort
from flask_login import current_user

from app.api_v1 import bp, schemas
from app.api_v1.auth import login_required, session_only
from app.auth import tokens
from app.errors import problem

TAGS = ["Access tokens"]


@bp.route("/tokens", methods=["POST"], tags=TAGS)
@bp.arguments(schemas.TokenCreate)
@bp.response(201, schemas.NewToken)
@bp.alt_response(400, response="BAD_REQUEST")
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Make an access token",
        description="Needs the session cookie and the CSRF token (X-CSRFToken), not a token. The answer holds "
                    "the token itself, shown this once; only its hash is stored.")
@login_required
@session_only
def create_token(body):
    try:
        made = tokens.create_token(current_user, body["name"], body["scopes"], body["expires_in_days"])
    except tokens.TokenError as error:
        return problem(400, "Bad request", str(error))
    return {**made.token.to_dict(), "token": made.secret}, 201


@bp.route("/tokens", methods=["GET"], tags=TAGS)
@bp.response(200, schemas.TokenList)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Your access tokens", description="Newest first; the tokens themselves are never shown again.")
@login_required
def list_tokens():
    return {"items": [token.to_dict() for token in tokens.list_tokens(current_user.id)]}


@bp.route("/tokens/<int:token_id>", methods=["DELETE"], tags=TAGS)
@bp.response(204)
@bp.alt_response(401, response="UNAUTHORIZED")
@bp.alt_response(403, response="FORBIDDEN")
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(429, response="TOO_MANY_REQUESTS")
@bp.doc(summary="Revoke an access token", description="It stops working at once. 404 unless it is yours.")
@login_required
def revoke_token(token_id: int):
    if not tokens.revoke_token(current_user.id, token_id):
        abort(404, description="No such access token.")
    return Response(status=204)
