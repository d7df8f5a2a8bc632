"""Ticket statuses: every signed-in staff member reads them; admins add, rename, move
between categories and (de)activate them. There is no delete: a status tickets or flows
once named keeps its label."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth import require_roles
from app.db import db
from builder.statuses import Status
from core.people import Role
from runtime.tickets import statuses as service

blp = Blueprint("statuses", __name__, url_prefix="/api/v1/statuses",
                description="Custom ticket statuses inside the five categories.")



def _label(**kwargs: Any) -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(service.LOCALES)),
                       values=fields.String(validate=validate.Length(max=service.MAX_LABEL)),
                       metadata={"example": {"en": "Waiting for parts", "zh-CN": "等待配件"}},
                       **kwargs)


def _category(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf([s.value for s in Status]), **kwargs)


class StatusSchema(Schema):
    """A status: its key, category, labels, place in the category and whether it is offered."""

    key = fields.String(dump_only=True)
    category = fields.String()
    label = fields.Dict()
    position = fields.Integer()
    active = fields.Boolean()


class StatusInSchema(Schema):
    """A new status (it is added active, at the end of its category)."""

    key = fields.String(required=True, validate=validate.Length(min=1, max=64),
                        metadata={"example": "waiting_parts"})
    category = _category(required=True)
    label = _label(required=True)


class StatusPatchSchema(Schema):
    """What may change: labels, category (while no ticket is in it), active, moving
    up (-1) or down (+1) in the category."""

    category = _category()
    label = _label()
    active = fields.Boolean()
    move = fields.Integer(validate=validate.OneOf([-1, 1]))


@blp.route("")
class Statuses(MethodView):
    @blp.response(200, StatusSchema(many=True))
    @require_roles(Role.AGENT, Role.DESIGNER)
    def get(self) -> Any:
        """Every status, by category then position (inactive ones too: old tickets use them)."""
        return service.list_statuses(session=db())

    @blp.arguments(StatusInSchema)
    @blp.response(201, StatusSchema)
    @require_roles(Role.ADMIN)
    def post(self, body: dict[str, Any]) -> Any:
        """Add a status (409 when the key is taken)."""
        status = service.create_status(session=db(), key=body["key"],
                                       category=body["category"], label=body["label"])
        db().commit()
        return status


@blp.route("/<key>")
class OneStatus(MethodView):
    @blp.response(200, StatusSchema)
    @require_roles(Role.AGENT, Role.DESIGNER)
    def get(self, key: str) -> Any:
        """One status."""
        return service.get_status(session=db(), key=key)

    @blp.arguments(StatusPatchSchema)
    @blp.response(200, StatusSchema)
    @require_roles(Role.ADMIN)
    def patch(self, body: dict[str, Any], key: str) -> Any:
        """Rename, move, (de)activate; 409 when it would leave a category without an active
        status or move a status that tickets are in."""
        status = service.update_status(session=db(), key=key, label=body.get("label"),
                                       category=body.get("category"), active=body.get("active"))
        if body.get("move"):
            service.move_status(session=db(), key=key, offset=body["move"])
        db().commit()
        return status
