"""Flows: design (drafts, validation, publishing, versions, import/export) and dry runs."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.api.forms import _if_match
from app.api.schemas import (
    DefinitionSchema,
    FlowCreateSchema,
    FlowPublicationSchema,
    FlowSchema,
    FlowVersionSchema,
    FlowVersionSummarySchema,
    FormPatchSchema,
    ImportArgsSchema,
    ImportSchema,
    ProblemsSchema,
    SimulationArgsSchema,
    SimulationResultSchema,
    SimulationSchema,
)
from app.auth import require_roles
from app.db import db
from app.messages import problem_message
from builder.flows import service
from builder.flows.definition import bound_form_key
from core.clock import utcnow
from core.people import Role
from runtime.directory import DbDirectory
from runtime.engine import Context, simulate
from runtime.flows.usage import flows_with_usage

blp = Blueprint("flows", __name__, url_prefix="/api/v1/flows",
                description="Flows: routing, approvals and automation; design, publish, simulate.")
DESIGNERS = (Role.DESIGNER,)


class VersionUsageSchema(Schema):
    """A published version and how many tickets still run on it."""

    number = fields.Integer()
    open = fields.Integer(metadata={"description": "Running flow instances (open tickets)"})
    form = fields.String(attribute="form_key", allow_none=True)


class FlowUsageSchema(FlowSchema):
    """A flow, the form it serves and the open tickets of each version."""

    form = fields.String(attribute="bound_form", allow_none=True,
                         metadata={"description": "The form whose new tickets follow it"})
    form_version = fields.Integer(attribute="bound_version", allow_none=True, metadata={
        "description": "The version new tickets of that form follow"})
    open = fields.Integer(metadata={"description": "Open tickets over all versions"})
    versions = fields.List(fields.Nested(VersionUsageSchema))


class FlowListArgsSchema(Schema):
    """List options."""

    archived = fields.Boolean(load_default=False, metadata={
        "description": "Include archived flows"})


class FlowDuplicateSchema(Schema):
    """The key and title of the copy."""

    key = fields.String(required=True, metadata={"example": "refund-flow-2"})
    title = fields.Raw(required=True, metadata={"example": {"en": "Refund handling (copy)"}})


@blp.route("")
class Flows(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(FlowListArgsSchema, location="query")
    @blp.response(200, FlowUsageSchema(many=True))
    @require_roles(*DESIGNERS)
    def get(self, args: dict[str, Any]) -> Any:
        """List flows (not archived unless asked) with the form each serves and the open
        tickets of each version."""
        return flows_with_usage(session=db(), include_archived=args["archived"])

    @blp.arguments(FlowCreateSchema)
    @blp.response(201, FlowSchema)
    @require_roles(*DESIGNERS)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a flow with a minimal draft (manual start, one end)."""
        flow = service.create_flow(session=db(), key=body["key"], title=body["title"],
                                   actor=current_user)
        db().commit()
        return flow


@blp.route("/<key>")
class FlowItem(MethodView):
    @blp.response(200, FlowSchema)
    @require_roles(*DESIGNERS)
    def get(self, key: str) -> Any:
        """One flow, with the form whose new tickets follow it."""
        return service.get_flow(session=db(), key=key)

    @blp.arguments(FormPatchSchema)
    @blp.response(200, FlowSchema)
    @require_roles(*DESIGNERS)
    def patch(self, body: dict[str, Any], key: str) -> Any:
        """Change a flow's title."""
        flow = service.update_flow(session=db(), key=key, title=body.get("title"),
                                   revision=_if_match())
        db().commit()
        return flow

    @blp.response(200, FlowSchema)
    @require_roles(*DESIGNERS)
    def delete(self, key: str) -> Any:
        """Archive a flow and unbind it from its form; running tickets keep their version."""
        flow = service.archive_flow(session=db(), key=key)
        db().commit()
        return flow


@blp.post("/<key>/duplicate")
@blp.arguments(FlowDuplicateSchema)
@blp.response(201, FlowSchema)
@require_roles(*DESIGNERS)
def duplicate(body: dict[str, Any], key: str) -> Any:
    """A new flow whose draft copies this flow's draft (409 if the new key is taken)."""
    flow = service.duplicate_flow(session=db(), key=key, new_key=body["key"],
                                  title=body["title"], actor=current_user)
    db().commit()
    return flow


@blp.route("/<key>/draft")
class Draft(MethodView):
    @blp.response(200, description="The draft definition (docs/flows.md)")
    @require_roles(*DESIGNERS)
    def get(self, key: str) -> Any:
        """The draft definition; its ETag is the flow's revision."""
        flow = service.get_flow(session=db(), key=key)
        return flow.draft, 200, {"ETag": f'"{flow.revision}"'}

    @blp.arguments(DefinitionSchema)
    @blp.response(200, description="The saved draft")
    @require_roles(*DESIGNERS)
    def put(self, body: dict[str, Any], key: str) -> Any:
        """Save the draft as sent (incomplete is fine); send If-Match to detect conflicts."""
        flow = service.save_draft(session=db(), key=key, definition=body, revision=_if_match())
        db().commit()
        return flow.draft, 200, {"ETag": f'"{flow.revision}"'}


@blp.post("/<key>/validate")
@blp.response(200, ProblemsSchema)
@require_roles(*DESIGNERS)
def validate_draft(key: str) -> Any:
    """Every problem that would stop the draft from being published."""
    problems = service.validate_draft(session=db(), key=key)
    # Messages in the request's language, as publishing answers them (app/errors.py).
    return {"valid": not problems,
            "problems": [{**p.as_dict(), "message": problem_message(p)} for p in problems]}


@blp.post("/<key>/publish")
@blp.response(201, FlowPublicationSchema)
@blp.alt_response(200, schema=FlowPublicationSchema, description="Unchanged since last time")
@require_roles(*DESIGNERS)
def publish(key: str) -> Any:
    """Publish the draft (422 with every problem); a form-bound flow becomes its form's flow."""
    result = service.publish_flow(session=db(), key=key, actor=current_user)
    db().commit()
    return result, 201 if result.created else 200


@blp.get("/<key>/versions")
@blp.response(200, FlowVersionSummarySchema(many=True))
@require_roles(*DESIGNERS)
def versions(key: str) -> Any:
    """Every published version, oldest first."""
    return service.list_versions(session=db(), key=key)


@blp.get("/<key>/versions/<int:number>")
@blp.response(200, FlowVersionSchema)
@require_roles(*DESIGNERS)
def version(key: str, number: int) -> Any:
    """One version and its definition."""
    return service.get_version(session=db(), key=key, number=number)


@blp.get("/<key>/export")
@blp.response(200, description="A flow export document")
@require_roles(*DESIGNERS)
def export(key: str) -> Any:
    """The flow as one JSON document, for import elsewhere."""
    document = service.export_flow(session=db(), key=key)
    return document, 200, {"Content-Disposition": f'attachment; filename="{key}.flow.json"'}


@blp.post("/import")
@blp.arguments(ImportArgsSchema, location="query")
@blp.arguments(ImportSchema)
@blp.response(201, FlowSchema)
@require_roles(*DESIGNERS)
def import_(args: dict[str, Any], document: dict[str, Any]) -> Any:
    """Create a flow from an export (or, with replace=true, overwrite an existing draft)."""
    flow = service.import_flow(session=db(), document=document, actor=current_user,
                               replace=args["replace"])
    db().commit()
    return flow


@blp.post("/<key>/simulate")
@blp.arguments(SimulationArgsSchema, location="query")
@blp.arguments(SimulationSchema)
@blp.response(200, SimulationResultSchema)
@blp.alt_response(422, description="The draft has problems: errors[] has a pointer each")
@require_roles(*DESIGNERS)
def simulate_flow(args: dict[str, Any], body: dict[str, Any], key: str) -> Any:
    """Dry-run a sample submission through the draft (or ?version=n); writes nothing."""
    definition = service.simulation_definition(session=db(), key=key,
                                               version=args.get("version"))
    ticket = {"priority": "normal", "channel": "web", "status": "new", "number": 0,
              "form": bound_form_key(definition), **body.get("ticket", {})}
    requester = {"email": current_user.email, "role": str(current_user.role),
                 **(current_user.attributes or {}), **body.get("requester", {})}
    data = {**body["data"], "_ticket": ticket, "_requester": requester}
    ctx = Context(now=utcnow(), data=data, directory=DbDirectory(db(), current_user))
    # No commit: the request's session is closed (rolled back) after the response.
    return simulate(definition, ctx, decisions=body.get("decisions")).as_dict()
