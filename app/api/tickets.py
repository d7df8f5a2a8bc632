"""Tickets: list, read, timeline."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint

from app.api.schemas import (
    CommentInSchema,
    EventSchema,
    TicketListArgsSchema,
    TicketPageSchema,
    TicketSchema,
)
from app.auth import require_roles
from app.db import db
from app.jobs import hand_off
from runtime.tickets.comments import add_comment, comments
from runtime.tickets.models import Status
from runtime.tickets.service import get_ticket, list_tickets, ticket_events

blp = Blueprint("tickets", __name__, url_prefix="/api/v1/tickets",
                description="Tickets: requesters see their own, staff see all.")


@blp.get("")
@blp.arguments(TicketListArgsSchema, location="query")
@blp.response(200, TicketPageSchema)
@require_roles()
def list_(args: dict[str, Any]) -> Any:
    """Tickets newest first; pass next_cursor as cursor for the next page."""
    page = list_tickets(
        session=db(), viewer=current_user, status=Status(args["status"]) if "status" in args
        else None, form=args.get("form"), cursor=args.get("cursor"), limit=args["limit"],
    )
    return {"items": page.tickets, "next_cursor": page.next_cursor}


@blp.get("/<int:number>")
@blp.response(200, TicketSchema)
@require_roles()
def get(number: int) -> Any:
    """One ticket."""
    return get_ticket(session=db(), viewer=current_user, number=number)


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
        hand_off()
        return comment
