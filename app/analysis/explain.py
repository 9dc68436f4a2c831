"""One-line explanations of a face's confidence, shared by the result pages and the landing page."""
from collections.abc import Mapping

from app.vision.confidence import UNCERTAIN_RULE, is_uncertain

CLEAR_CONFIDENCE = 0.8


def confidence_meaning(scores: Mapping[str, float]) -> str:
    """What the top score means for this face, in one sentence."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if not ranked:
        return "No scores."
    (label, top), (second, runner_up) = ranked[0], ranked[1] if len(ranked) > 1 else ("", 0.0)
    if is_uncertain(scores):
        return (f"Uncertain: {label} ({top:.0%}) is only a little ahead of {second} ({runner_up:.0%}), "
                f"or too low to rely on.")
    if top >= CLEAR_CONFIDENCE:
        return f"Clear: the model puts {top:.0%} of its probability on {label} among the seven expressions."
    return f"Likely: {label} is the model's best guess ({top:.0%}), well ahead of {second} ({runner_up:.0%})."


def register(app) -> None:
    app.add_template_global(confidence_meaning)
    app.add_template_global(UNCERTAIN_RULE, "UNCERTAIN_RULE")
