"""Incidents: side effects whose retries ran out, for admins to see and retry."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.api.schemas import IncidentListArgsSchema, IncidentSchema
from app.auth import require_roles
from app.db import db
from core.people import Role
from runtime.flows.models import Incident
from runtime.flows.outbox import retry_incident

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents",
                description="Incidents: deliveries that failed every retry (admins).")


def list_incidents(*, session: Session, open_only: bool = True) -> list[Incident]:
    """Incidents newest first (only those not retried yet with ``open_only``), at most 200."""
    query = select(Incident).options(selectinload(Incident.message)).order_by(
        Incident.id.desc())
    if open_only:
        query = query.where(Incident.resolved_at.is_(None))
    return list(session.scalars(query.limit(200)))


@blp.get("")
@blp.arguments(IncidentListArgsSchema, location="query")
@blp.response(200, IncidentSchema(many=True))
@require_roles(Role.ADMIN)
def list_(args: dict[str, Any]) -> Any:
    """Incidents, newest first; open=false includes those already retried."""
    return list_incidents(session=db(), open_only=args["open"])


@blp.post("/<int:incident_id>/retry")
@blp.response(200, IncidentSchema)
@require_roles(Role.ADMIN)
def retry(incident_id: int) -> Any:
    """Give the message a fresh set of attempts and hand it to the queue now."""
    incident = retry_incident(session=db(), incident_id=incident_id)
    db().commit()
    return incident
