"""Tickets: list, read, change (status, priority, assignee, team), timeline, comments.

Optimistic concurrency: GET answers an ``ETag`` (the ticket's revision); PATCH takes it back
in ``If-Match`` (or ``revision`` in the body) and answers 409 when the ticket changed in the
meantime. Fields that cannot be written are refused (422) and change nothing.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.api.schemas import (
    CommentInSchema,
    EventSchema,
    TicketListArgsSchema,
    TicketPageSchema,
    TicketSchema,
)
from app.auth import require_roles
from app.db import db
from app.queues import filters_from
from core.errors import InvalidSubmission, Problem
from core.people import Role
from runtime.tickets.changes import UNSET, update_ticket
from runtime.tickets.comments import add_comment, comments
from runtime.tickets.queries import list_queue, viewer_scope
from runtime.tickets.service import get_ticket, ticket_events


class TicketDetailSchema(TicketSchema):
    """A ticket with who handles it and its revision (send it back in If-Match)."""

    revision = fields.Integer()
    assignee = fields.Function(lambda t: t.assignee.email if t.assignee else None)
    team = fields.Function(lambda t: t.team.key if t.team else None)


class TicketPatchSchema(Schema):
    """What staff may change; any other field is refused."""

    status = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "a category (its default status) or an active custom status key"})
    priority = fields.String(validate=validate.OneOf(["low", "normal", "high", "urgent"]))
    assignee = fields.Email(allow_none=True, metadata={"description": "an agent's email"})
    team = fields.String(allow_none=True, validate=validate.Length(max=64),
                         metadata={"description": "a team key"})
    revision = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "the revision you read (or send If-Match)"})


def _expected_revision(body: dict[str, Any]) -> int | None:
    """The revision the client read: If-Match wins over the body's ``revision``."""
    header = (request.headers.get("If-Match") or "").strip()
    if header and header != "*":
        value = header.removeprefix("W/").strip('"')
        if not re.fullmatch(r"[0-9]{1,9}", value):
            raise InvalidSubmission([Problem("/If-Match", "etag",
                                             "If-Match must be the ETag GET answered.")])
        return int(value)
    return body.get("revision")


blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets",
                description="Tickets: requesters see their own, staff see all.")


@blp.get("")
@blp.arguments(TicketListArgsSchema, location="query")
@blp.response(200, TicketPageSchema)
@require_roles()
def list_(args: dict[str, Any]) -> Any:
    """Tickets newest first (``sort=oldest`` to turn it round), filtered and searched; pass
    next_cursor as cursor for the next page. Unknown forms, teams or people are a 422."""
    page = list_queue(session=db(), scope=viewer_scope(session=db(), viewer=current_user),
                      filters=filters_from(args, default_open=False),
                      cursor=args.get("cursor"), limit=args["limit"])
    return {"items": page.tickets, "next_cursor": page.next_cursor}


@blp.route("/<int:number>")
class OneTicket(MethodView):
    @blp.response(200, TicketDetailSchema)
    @require_roles()
    def get(self, number: int) -> Any:
        """One ticket; its ETag is the revision to send back in If-Match."""
        ticket = get_ticket(session=db(), viewer=current_user, number=number)
        return ticket, 200, {"ETag": f'"{ticket.revision}"'}

    @blp.arguments(TicketPatchSchema)
    @blp.response(200, TicketDetailSchema)
    @require_roles(Role.ADMIN, Role.AGENT)
    def patch(self, body: dict[str, Any], number: int) -> Any:
        """Change status, priority, assignee (email, null to unassign) or team (key)."""
        ticket = get_ticket(session=db(), viewer=current_user, number=number)
        update_ticket(session=db(), ticket=ticket, actor=current_user,
                      expected_revision=_expected_revision(body), status=body.get("status"),
                      priority=body.get("priority"), assignee=body.get("assignee", UNSET),
                      team=body.get("team", UNSET))
        db().commit()
        return ticket, 200, {"ETag": f'"{ticket.revision}"'}


@blp.get("/<int:number>/events")
@blp.response(200, EventSchema(many=True))
@require_roles()
def events(number: int) -> Any:
    """The ticket's timeline, oldest first."""
    ticket = get_ticket(session=db(), viewer=current_user, number=number)
    return ticket_events(session=db(), ticket=ticket, viewer=current_user)


@blp.route("/<int:number>/comments")
class Comments(MethodView):
    @blp.response(200, EventSchema(many=True))
    @require_roles()
    def get(self, number: int) -> Any:
        """The ticket's comments (requesters never see internal notes)."""
        ticket = get_ticket(session=db(), viewer=current_user, number=number)
        return comments(session=db(), ticket=ticket, viewer=current_user)

    @blp.arguments(CommentInSchema)
    @blp.response(201, EventSchema)
    @require_roles()
    def post(self, body: dict[str, Any], number: int) -> Any:
        """Reply (markdown) or, for staff, add an internal note."""
        ticket = get_ticket(session=db(), viewer=current_user, number=number)
        comment = add_comment(session=db(), ticket=ticket, author=current_user,
                              body=body["body"], internal=body["internal"])
        db().commit()
        return comment
