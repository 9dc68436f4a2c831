"""Admin console pages. Every address under /admin answers 404 to anyone who is not a logged-in
admin (whatever the method, even one the route does not take), so the console is not revealed."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import bp, service
from app.auth.routes import safe_next_url


@bp.before_app_request  # app-wide: also before routing errors such as 405
def admins_only():
    if request.path != "/admin" and not request.path.startswith("/admin/"):
        return
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(404)


def target_or_404(user_id: int):
    user = service.get_account(user_id)
    if user is None:
        abort(404)
    return user


def back():
    return redirect(safe_next_url(request.form.get("next")) or url_for("admin.index"))


@bp.get("/", strict_slashes=False)  # /admin and /admin/ alike: no redirect that reveals it
def index():
    page = request.args.get("page", "1")
    accounts = service.list_accounts(request.args.get("q", ""), int(page) if page.isdecimal() and len(page) < 7 else 1)
    return render_template("admin/index.html", accounts=accounts, figures=service.figures(),
                           audit=service.audit_log(),
                           here=request.full_path if request.query_string else request.path)


@bp.post("/users/<int:user_id>/disable")
def disable(user_id: int):
    return change(user_id, lambda actor, user: service.set_disabled(actor, user, True), "{} is disabled.")


@bp.post("/users/<int:user_id>/enable")
def enable(user_id: int):
    return change(user_id, lambda actor, user: service.set_disabled(actor, user, False), "{} is enabled.")


@bp.post("/users/<int:user_id>/delete")
def delete(user_id: int):
    return change(user_id, service.delete_account, "{} and all its data were deleted.")


def change(user_id: int, action, message: str):
    user = target_or_404(user_id)
    name = user.username
    try:
        action(current_user._get_current_object(), user)
    except service.AdminError as error:
        flash(str(error), "error")
    else:
        flash(message.format(name), "success")
    return back()
