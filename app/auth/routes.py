from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from flask_limiter.util import get_remote_address

from app.auth import bp, sessions
from app.auth import tokens
from app.auth import reset
from app.auth.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    RegistrationForm,
    ResetPasswordForm,
    TokenForm,
)
from app.auth.service import (
    AccountDisabled,
    AccountError,
    LoginThrottled,
    authenticate,
    change_password,
    delete_account,
    register_user,
)
from app.extensions import limiter


@bp.app_context_processor
def inject_logout_form():
    # formdata=None: never parse the request body here (an error page for an over-large
    # upload must render without reading that body again).
    return {"logout_form": LogoutForm(formdata=None)}


def safe_next_url(target: str | None) -> str | None:
    """Only same-site paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_IP"], key_func=get_remote_address, methods=["POST"], scope="register-ip")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("analysis.upload"))
    form = RegistrationForm()
    if form.validate_on_submit():
        try:
            user = register_user(form.username.data, form.email.data, form.password.data)
        except AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            sessions.start(user)
            flash(f"Welcome, {user.username}! Upload a photo to get started.", "success")
            return redirect(url_for("analysis.upload"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
# Per client address here (Redis when configured); per account in the database (app.auth.throttle).
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], key_func=get_remote_address, methods=["POST"], scope="login-ip")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("analysis.upload"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except LoginThrottled:
            abort(429)  # the same answer as the per-address limit: it says nothing about the account
        except AccountDisabled:
            # Said only to whoever knows the password.
            form.password.errors.append("This account has been disabled by the administrator.")
            return render_template("auth/login.html", form=form), 403
        if user is not None:
            sessions.start(user, remember=form.remember.data)
            return redirect(safe_next_url(request.args.get("next")) or url_for("analysis.upload"))
        form.password.errors.append("Wrong username or password.")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


RESET_SENT = ("If an account uses that address, a link to set a new password is on its way. "
              "It works once, for {minutes} minutes.")


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], key_func=get_remote_address, methods=["POST"],
               scope="reset-ip")
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the address has an account."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        config = current_app.config
        wanted = reset.request_reset(form.email.data, config["RESET_LIMIT_PER_EMAIL"], config["RESET_LIMIT_PER_ACCOUNT"])
        if wanted.user is not None:
            send_reset_link(wanted.user)
        flash(RESET_SENT.format(minutes=config["PASSWORD_RESET_MINUTES"]), "info")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


def send_reset_link(user) -> None:
    from app.mail import send

    config = current_app.config
    token = reset.make_token(user, config["SECRET_KEY"])
    path = url_for("auth.reset_password", token=token)
    base = (config.get("PUBLIC_URL") or request.host_url).rstrip("/")
    minutes = config["PASSWORD_RESET_MINUTES"]
    body = render_template("auth/reset_email.txt", user=user, link=base + path, minutes=minutes)
    send("Set a new Moodlens password", body, user.email)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], key_func=get_remote_address, methods=["POST"],
               scope="reset-ip")
def reset_password(token: str):
    config = current_app.config
    user = reset.account_for_token(token, config["SECRET_KEY"], config["PASSWORD_RESET_MINUTES"] * 60)
    if user is None:
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            logout_user()
        reset.reset_password(user, form.new_password.data)
        flash("Your password was changed and you were logged out everywhere; your access tokens were "
              "revoked. Log in with the new password.", "success")
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form, user=user), status


@bp.after_request
def no_referrer_on_reset_pages(response):
    """The reset token is in the address: never send it on to another site as a Referer."""
    if request.endpoint == "auth.reset_password":
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/logout")
def logout():
    # A failed CSRF check never reaches here (CSRFProtect), so a cross-site POST cannot log out.
    if current_user.is_authenticated:
        sessions.end(current_user._get_current_object())
        flash("You are logged out.", "info")
    return redirect(url_for("analysis.index"))


def account_page(status: int = 200, **forms):
    forms.setdefault("password_form", ChangePasswordForm())
    forms.setdefault("delete_form", DeleteAccountForm())
    forms.setdefault("token_form", TokenForm(formdata=None))
    return render_template("auth/account.html", api_tokens=tokens.list_tokens(current_user.id), **forms), status


@bp.route("/account", methods=["GET"])
@login_required
def account():
    return account_page()


@bp.post("/account/tokens")
@login_required
def create_token():
    """Make an access token and show it on this answer only (it is never stored or shown again,
    so there is no redirect that would need to carry it)."""
    form = TokenForm()
    if form.validate_on_submit():
        days = None if form.expires_in_days.data == "never" else int(form.expires_in_days.data)
        try:
            made = tokens.create_token(current_user._get_current_object(), form.name.data, [form.scope.data], days)
        except tokens.TokenError as error:
            form.name.errors.append(str(error))
        else:
            return account_page(new_token=made.secret, new_token_name=made.token.name)
    return account_page(400, token_form=form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    if not tokens.revoke_token(current_user.id, token_id):
        abort(404)
    flash("The token was revoked: it no longer works.", "success")
    return redirect(url_for("auth.account") + "#tokens")


@bp.post("/account/password")
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            change_password(user, form.current_password.data, form.new_password.data)
        except AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            sessions.start(user)  # every other session ended with the old password
            flash("Your password was changed. You were logged out everywhere else.", "success")
            return redirect(url_for("auth.account"))
    return account_page(400, password_form=form)


@bp.post("/account/delete")
@login_required
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            delete_account(current_user._get_current_object(), form.password.data)
        except AccountError as error:
            form.password.errors.append(error.message)
        else:
            logout_user()
            flash("Your account and all its data were deleted.", "info")
            return redirect(url_for("analysis.index"))
    return account_page(400, delete_form=form)
