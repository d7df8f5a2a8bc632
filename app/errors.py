"""Turn errors into RFC 9457 ``application/problem+json`` (API) or an error page (browser).

Every path under ``/api`` and ``/healthz`` answers problems; pages answer HTML. Unexpected
exceptions are logged and answered 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from app.messages import problem_message
from core import errors

log = logging.getLogger(__name__)

STATUS = {
    errors.NotFound: 404,
    errors.PermissionDenied: 403,
    errors.Conflict: 409,
    errors.TooLarge: 413,
    errors.IllegalTransition: 409,
    errors.InvalidDefinition: 422,
    errors.InvalidSubmission: 422,
}


def wants_problem_json() -> bool:
    """True for API clients: paths under /api and /healthz."""
    return request.path.startswith(("/api/", "/healthz"))


def problem(
    status: int, title: str, detail: str = "", errors_: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors_ is not None:
        body["errors"] = errors_
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def _smorest_errors(messages: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Flatten webargs/marshmallow messages ({location: {field: [msg]}}) into pointers."""
    if isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            return [{"pointer": prefix, "code": "invalid", "message": m} for m in messages]
        messages = dict(enumerate(messages))
    found: list[dict[str, Any]] = []
    for key, value in messages.items():
        segment = str(key).replace("~", "~0").replace("/", "~1")
        found += _smorest_errors(value, f"{prefix}/{segment}" if key != "_schema" else prefix)
    return found


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that map DocketError and HTTP errors to responses."""

    @app.errorhandler(errors.DocketError)
    def _docket_error(exc: errors.DocketError) -> Any:
        status = STATUS.get(type(exc), 400)
        problems = getattr(exc, "problems", None)
        items = (
            [{**p.as_dict(), "message": problem_message(p)} for p in problems]
            if problems is not None
            else None
        )
        if wants_problem_json():
            return problem(status, _(exc.title), exc.detail, items)
        return render_template("error.html", status=status, title=_(exc.title),
                               detail=exc.detail), status

    @app.errorhandler(StaleDataError)
    def _stale(_exc: StaleDataError) -> Any:
        detail = _("Someone else changed this in the meantime. Reload and try again.")
        if wants_problem_json():
            return problem(409, _("Conflict"), detail)
        return render_template("error.html", status=409, title=_("Conflict"), detail=detail), 409

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status == 413:
            detail = _("The request is too large (at most %(mb)s MB).",
                       mb=(request.max_content_length or 0) // (1024 * 1024))
        else:
            detail = exc.description or ""
        if wants_problem_json():
            data = getattr(exc, "data", None) or {}
            items = None
            if status == 400 and "messages" in data:
                detail = _("The request body is not valid JSON.")
            elif isinstance(data.get("messages"), dict):
                # webargs groups messages by location ({"json": {...}}); point into the body
                items = _smorest_errors({k: v for loc in data["messages"].values()
                                         for k, v in (loc.items() if isinstance(loc, dict)
                                                      else [])})
                detail = _("The request has invalid fields.")
            response = problem(status, exc.name, detail, items)
            for header, value in (getattr(exc, "headers", None) or {}).items():
                response.headers[header] = value
            return response
        headers = [(k, v) for k, v in exc.get_headers() if k != "Content-Type"]  # Retry-After
        return render_template("error.html", status=status, title=exc.name,
                               detail=detail), status, headers

    @app.errorhandler(RecursionError)
    def _too_deep(_exc: RecursionError) -> Any:
        # json.loads gives up on bodies nested thousands deep: that is bad input, not a crash
        return _http_error(BadRequest(_("The request body is nested too deeply.")))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _http_error(InternalServerError())
