"""Outgoing e-mail: SMTP through Flask-Mailman when MAIL_SERVER is set; otherwise the message is
written to the server log (a self-hosted instance without mail still gets its reset links).

Messages go out on a short-lived thread after the answer, so that how long a request takes says
nothing about whether a message was sent."""
import logging
import threading

from flask import Flask, current_app
from flask_mailman import EmailMessage

log = logging.getLogger("moodlens.mail")


def send(subject: str, body: str, to: str) -> threading.Thread | None:
    app = current_app._get_current_object()
    if not app.config.get("MAIL_SERVER"):
        log.warning("No MAIL_SERVER configured; this message for %s was not sent:\n%s\n%s", to, subject, body)
        return None
    thread = threading.Thread(target=deliver, args=(app, subject, body, to), daemon=True, name="mail")
    thread.start()
    return thread


def deliver(app: Flask, subject: str, body: str, to: str) -> None:
    with app.app_context():
        try:
            EmailMessage(subject=subject, body=body, from_email=app.config["MAIL_DEFAULT_SENDER"], to=[to]).send()
        except Exception:  # noqa: BLE001 - a mail server that fails must not take a worker down
            log.exception("Sending mail to %s failed", to)
