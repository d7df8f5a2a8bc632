"""Who is calling: the browser session (Flask-Login) or an API bearer token.

Pages redirect strangers to /login; the API answers them 401. A known user without the
needed role gets 403 everywhere. Cookie-authenticated API writes must carry the CSRF token
(``X-CSRFToken``); bearer-token calls need none, since a browser never adds that header.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from app.db import db
from app.errors import problem, wants_problem_json
from app.extensions import csrf, login_manager
from core.errors import PermissionDenied
from core.people import Role, User, get_user_by_email, user_for_token

F = TypeVar("F", bound=Callable[..., Any])
bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(validators=[DataRequired()])
    password = PasswordField(validators=[DataRequired()])


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db().get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


@login_manager.request_loader
def _load_user_from_token(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    user, touched = user_for_token(session=db(), token=token.strip())
    if user is not None:
        g.auth_by_token = True
        if touched:
            db().commit()
    return user


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if wants_problem_json():
        response = problem(401, _("Unauthorized"),
                           _("Sign in, or send an API token as 'Authorization: Bearer …'."))
        response.headers["WWW-Authenticate"] = 'Bearer realm="docket"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def require_roles(*roles: Role) -> Callable[[F], F]:
    """Allow signed-in users with one of ``roles`` (admins always); 401/redirect, else 403."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and current_user.role not in roles and current_user.role != Role.ADMIN:
                raise PermissionDenied(_("Your role may not do this."))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def protect_api_writes() -> None:
    """CSRF check for cookie-authenticated API writes (bearer calls are exempt)."""
    if request.method in {"GET", "HEAD", "OPTIONS"} or g.get("auth_by_token"):
        return
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return  # a bad token: the view answers 401, not a CSRF error
    if current_user.is_authenticated:
        csrf.protect()


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """Where a user lands after signing in: designers in the builder, agents and admins on
    the queues, requesters in the portal."""
    if user.role == Role.DESIGNER:
        return url_for("builder.forms")
    if user.role in (Role.AGENT, Role.ADMIN):
        return url_for("queues.index")
    return url_for("portal.index")


def _count_sign_in_attempt() -> None:
    """Count a sign-in attempt from the caller's address; past ``LOGIN_RATE_LIMIT`` (per
    fixed window, in ``RATELIMIT_STORAGE_URI``) it is refused with 429 and Retry-After."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return
    limiter: FixedWindowRateLimiter = current_app.extensions["docket.login_limiter"]
    limit = parse(current_app.config["LOGIN_RATE_LIMIT"])
    address = request.remote_addr or "unknown"
    if not limiter.hit(limit, "login", address):
        wait = limiter.get_window_stats(limit, "login", address).reset_time - time.time()
        raise TooManyRequests(_("Too many sign-in attempts from your address. Wait a minute, "
                                "then try again."), retry_after=max(1, round(wait)))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with email and password."""
    if request.method == "POST":
        _count_sign_in_attempt()
    form = LoginForm()
    if form.validate_on_submit():
        user = get_user_by_email(session=db(), email=form.email.data or "")
        if user is not None and user.active and user.check_password(form.password.data or ""):
            if user.password_needs_rehash():
                user.set_password(form.password.data or "")
                db().commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        flash(_("Wrong email or password."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout() -> Any:
    """Sign out."""
    logout_user()
    return redirect(url_for("auth.login"))


def init_auth(app: Flask) -> None:
    """Register the login pages and the store that counts sign-in attempts."""
    app.extensions["docket.login_limiter"] = FixedWindowRateLimiter(
        storage_from_string(app.config["RATELIMIT_STORAGE_URI"]))
    app.register_blueprint(bp)
