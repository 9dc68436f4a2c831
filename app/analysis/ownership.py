"""The one ownership check for analyses reached by id from a page or the API."""
from flask import abort
from flask_login import current_user

from app.analysis.service import get_owned_analysis
from app.models import Analysis


def owned_analysis_or_404(analysis_id: int) -> Analysis:
    """The current user's analysis; 404 for a missing one and for someone else's alike,
    so the answer never reveals that another user's id exists."""
    analysis = get_owned_analysis(current_user, analysis_id)
    if analysis is None:
        abort(404)
    return analysis
