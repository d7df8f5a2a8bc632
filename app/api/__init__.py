"""The JSON API under /api/v1, documented by flask-smorest from the marshmallow schemas."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_login import current_user

from app.auth import protect_api_writes
from app.extensions import api, csrf, login_manager

#: Bodies of JSON endpoints are small; uploads have their own, larger limit.
MAX_JSON_BODY = 2 * 1024 * 1024


def _before_api_request() -> Any:
    if not request.path.startswith("/api/v1/"):
        return None
    if not current_user.is_authenticated:
        # every /api/v1 endpoint needs a caller: 401 before the body is even parsed, so a
        # stranger never learns more (a 422 about the body) than "sign in"
        return login_manager.unauthorized()
    if not request.path.startswith("/api/v1/attachments"):
        request.max_content_length = MAX_JSON_BODY
    protect_api_writes()
    return None


def register(app: Flask) -> None:
    """Register every API blueprint with its CSRF and size rules."""
    from app.api import (
        admin,
        attachments,
        flows,
        forms,
        knowledge,
        people,
        statuses,
        tasks,
        tickets,
    )

    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "docket tokens create"}
    )
    app.before_request(_before_api_request)
    for module in (forms, flows, tickets, attachments, people, tasks, admin, knowledge,
                   statuses):
        csrf.exempt(module.blp)  # checked by protect_api_writes: cookie sessions need the token
        api.register_blueprint(module.blp)
