"""Builder pages: the shells that the React form and flow designers mount into.

The pages carry no data of their own: the designers read and write through /api/v1 with the
session cookie and the CSRF token the shell hands them, so the API stays the one way in.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template

from app.auth import require_roles
from core.people import Role

builder = Blueprint("builder", __name__, url_prefix="/builder")

#: The Vite entry of each designer.
ENTRIES = {"forms": "src/builder/forms/main.tsx", "flows": "src/builder/flows/main.tsx"}


def _shell(kind: str, page: str, key: str = "") -> str:
    return render_template("builder/shell.html", kind=kind, entry=ENTRIES[kind], page=page,
                           key=key)


@builder.get("/forms")
@require_roles(Role.DESIGNER)
def forms() -> Any:
    """The list of forms."""
    return _shell("forms", "list")


@builder.get("/forms/<key>")
@require_roles(Role.DESIGNER)
def form_designer(key: str) -> Any:
    """The form designer for one form."""
    return _shell("forms", "designer", key)


@builder.get("/flows")
@require_roles(Role.DESIGNER)
def flows() -> Any:
    """The list of flows."""
    return _shell("flows", "list")


@builder.get("/flows/<key>")
@require_roles(Role.DESIGNER)
def flow_designer(key: str) -> Any:
    """The flow designer for one flow."""
    return _shell("flows", "designer", key)


def register(app: Flask) -> None:
    """Attach the builder pages."""
    app.register_blueprint(builder)
