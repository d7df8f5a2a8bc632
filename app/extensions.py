"""The Flask extensions Docket stands on, configured in one place.

- Flask-Login: the browser session (who is signed in); bearer tokens for API clients.
- Flask-WTF: CSRF tokens on every browser form and on cookie-authenticated API writes.
- Flask-Talisman: CSP, nosniff, frame options and the other security headers.
- Flask-Babel: English and Simplified Chinese.
- flask-smorest: the OpenAPI document generated from the marshmallow schemas.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from flask import Flask, request, send_from_directory
from flask_babel import Babel
from flask_login import LoginManager
from flask_smorest import Api
from flask_talisman import Talisman
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
talisman = Talisman()
api = Api()

CSP = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "style-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


#: Languages offered: the tag used in definitions and URLs -> the Babel locale id.
LANGUAGES = {"en": "en", "zh-CN": "zh_CN"}


def current_language() -> str:
    """The request's language as a definition tag: ?lang=, cookie, user, Accept-Language."""
    from flask_login import current_user

    for candidate in (request.args.get("lang"), request.cookies.get("lang")):
        if candidate in LANGUAGES:
            return candidate
    if getattr(current_user, "is_authenticated", False) and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    best = request.accept_languages.best_match(["en", "zh-CN", "zh"], default="en")
    return "zh-CN" if best.startswith("zh") else "en"


def select_locale() -> str:
    """The Babel locale for the request's language."""
    return LANGUAGES[current_language()]


def init_extensions(app: Flask) -> None:
    """Attach every extension to ``app``."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(app.root_path) / "translations"),
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["SECURE_TRANSPORT"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        strict_transport_security=app.config["SECURE_TRANSPORT"],
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="same-origin",
    )
    api.init_app(app)

    docs_assets = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/api/docs-static/<path:filename>")
    def swagger_ui_asset(filename: str):  # type: ignore[no-untyped-def]
        """Swagger UI's own files, served locally so /api/docs works offline."""
        return send_from_directory(docs_assets, filename)
