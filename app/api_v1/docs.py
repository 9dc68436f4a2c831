"""/api/v1/docs: the OpenAPI document in Swagger UI, served from this site (vendored files in
static/vendor/swagger-ui/, started by static/js/api-docs.js: no inline script, within the CSP)."""
from flask import Blueprint, render_template

docs_bp = Blueprint("api_docs", __name__)


@docs_bp.get("/api/v1/docs")
def docs():
    return render_template("api/docs.html")
