from flask import current_app, render_template

from app.about import bp
from app.about.model_card import MODEL_CARD_PATH, load_model_card
from app.vision.confidence import UNCERTAIN_RULE


@bp.get("/about")
def model():
    card = load_model_card(current_app.config.get("MODEL_CARD_PATH") or MODEL_CARD_PATH)
    return render_template("about.html", card=card, uncertain_rule=UNCERTAIN_RULE)
