"""Forms: design (drafts, validation, publishing, versions, import/export) and submissions."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import select

from app.api.schemas import (
    DefinitionSchema,
    FormCreateSchema,
    FormPatchSchema,
    FormSchema,
    ImportArgsSchema,
    ImportSchema,
    ProblemsSchema,
    SubmissionSchema,
    TicketSchema,
    VersionSchema,
    VersionSummarySchema,
    _form_flow,
)
from app.auth import require_roles
from app.db import db
from app.extensions import current_language
from app.messages import problem_message
from builder.fields.values import json_hash
from builder.forms import service
from builder.forms.definition import validate_definition
from builder.forms.preview import renderable
from builder.forms.texts import localized
from core.errors import Conflict, InvalidDefinition, PermissionDenied, Problem
from core.people import Role, User
from runtime.forms_usage import FormUsage, forms_with_usage
from runtime.submissions import submit_ticket

blp = Blueprint("forms", __name__, url_prefix="/api/v1/forms",
                description="Ticket forms: design, publish, submit.")
DESIGNERS = (Role.DESIGNER,)
#: A preview body is one definition; far below the upload-sized MAX_CONTENT_LENGTH.
PREVIEW_MAX_BYTES = 2 * 1024 * 1024


class FormStateSchema(FormSchema):
    """A form, and whether its draft differs from its latest published version."""

    draft_changed = fields.Method("_draft_changed", metadata={
        "description": "true when the draft has changes not yet published (false when never "
                       "published: see latest_version)"})

    def _draft_changed(self, form: Any) -> bool:
        return bool(form.versions) and json_hash(form.draft) != form.versions[-1].hash


def _if_match() -> int | None:
    """The revision from an If-Match header ("3" or W/"3"), if any."""
    raw = request.headers.get("If-Match", "").strip()
    if not raw or raw == "*":
        return None
    raw = raw.removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise Conflict("If-Match must carry the revision (ETag) you read.")
    return int(raw)


class FormListArgsSchema(Schema):
    """List options."""

    usage = fields.Boolean(load_default=False, metadata={
        "description": "Add where each form is used: the flow it starts and the open tickets "
                       "of each version (designers and admins)"})


class FormVersionUsageSchema(Schema):
    """A published version and how many of its tickets are still open."""

    number = fields.Integer()
    open = fields.Integer(metadata={"description": "Tickets new, open or pending"})


class FormUsageSchema(FormStateSchema):
    """A form; with usage=true also the flow it starts and the open tickets per version."""

    flow = fields.Method("_flow", allow_none=True, metadata={
        "description": "{key, version} (with usage=true also title) of the flow new tickets "
                       "follow, or null"})
    open = fields.Integer(metadata={"description": "Open tickets over all versions (usage)"})
    versions = fields.List(fields.Nested(FormVersionUsageSchema), attribute="version_usage",
                           metadata={"description": "Published versions, oldest first, with "
                                                    "their open tickets (usage)"})

    def _flow(self, form: Any) -> dict[str, Any] | None:
        if isinstance(form, FormUsage):
            return None if form.flow is None else {
                "key": form.flow.key, "title": form.flow.title, "version": form.flow.version}
        return _form_flow(form)


class FormDuplicateSchema(Schema):
    """The key and title of the copy."""

    key = fields.String(required=True, metadata={"example": "refund-2"})
    title = fields.Raw(required=True, metadata={"example": {"en": "Refund request (copy)"}})


@blp.route("")
class Forms(MethodView):
    @blp.doc(security=[{"bearer": []}])
    @blp.arguments(FormListArgsSchema, location="query")
    @blp.response(200, FormUsageSchema(many=True))
    @require_roles()
    def get(self, args: dict[str, Any]) -> Any:
        """List forms (not archived); with usage=true (designers) where each is used.

        Designers and admins get every form; everyone else only the forms open for
        submission (published, not archived): a form never published is still design work.
        """
        designer = current_user.role in (*DESIGNERS, Role.ADMIN)
        if args["usage"]:
            if not designer:
                raise PermissionDenied(_("Your role may not do this."))
            return forms_with_usage(session=db())
        if designer:
            return service.list_forms(session=db())
        return service.list_open_forms(session=db())

    @blp.arguments(FormCreateSchema)
    @blp.response(201, FormSchema)
    @require_roles(*DESIGNERS)
    def post(self, body: dict[str, Any]) -> Any:
        """Create a form with an empty draft."""
        form = service.create_form(session=db(), key=body["key"], title=body["title"],
                                   actor=current_user)
        db().commit()
        return form


@blp.route("/<key>")
class FormItem(MethodView):
    @blp.response(200, FormStateSchema)
    @require_roles()
    def get(self, key: str) -> Any:
        """One form; for roles other than designers and admins, only a form open for
        submission (like the list)."""
        if current_user.role in (*DESIGNERS, Role.ADMIN):
            return service.get_form(session=db(), key=key)
        return service.get_open_form(session=db(), key=key)

    @blp.arguments(FormPatchSchema)
    @blp.response(200, FormSchema)
    @require_roles(*DESIGNERS)
    def patch(self, body: dict[str, Any], key: str) -> Any:
        """Change a form's title."""
        form = service.update_form(session=db(), key=key, title=body.get("title"),
                                   revision=_if_match())
        db().commit()
        return form

    @blp.response(200, FormSchema)
    @require_roles(*DESIGNERS)
    def delete(self, key: str) -> Any:
        """Archive a form: no new submissions; versions and tickets stay."""
        form = service.archive_form(session=db(), key=key)
        db().commit()
        return form


@blp.post("/<key>/duplicate")
@blp.arguments(FormDuplicateSchema)
@blp.response(201, FormStateSchema)
@require_roles(*DESIGNERS)
def duplicate(body: dict[str, Any], key: str) -> Any:
    """A new, unpublished form whose draft copies this form's draft (409 if the key is
    taken)."""
    form = service.duplicate_form(session=db(), key=key, new_key=body["key"],
                                  title=body["title"], actor=current_user)
    db().commit()
    return form


@blp.route("/<key>/draft")
class Draft(MethodView):
    @blp.response(200, description="The draft definition (docs/form-format.md)")
    @require_roles(*DESIGNERS)
    def get(self, key: str) -> Any:
        """The draft definition; its ETag is the form's revision."""
        form = service.get_form(session=db(), key=key)
        return form.draft, 200, {"ETag": f'"{form.revision}"'}

    @blp.arguments(DefinitionSchema)
    @blp.response(200, description="The saved draft")
    @require_roles(*DESIGNERS)
    def put(self, body: dict[str, Any], key: str) -> Any:
        """Save the draft as sent (incomplete is fine); send If-Match to detect conflicts."""
        form = service.save_draft(session=db(), key=key, definition=body, revision=_if_match())
        db().commit()
        return form.draft, 200, {"ETag": f'"{form.revision}"'}


@blp.post("/<key>/validate")
@blp.response(200, ProblemsSchema)
@require_roles(*DESIGNERS)
def validate_draft(key: str) -> Any:
    """Every problem that would stop the draft from being published."""
    problems = service.validate_draft(session=db(), key=key)
    return {"valid": not problems, "problems": [p.as_dict() for p in problems]}


@blp.post("/<key>/publish")
@blp.response(201, VersionSchema)
@blp.alt_response(200, schema=VersionSchema, description="Unchanged since the last version")
@require_roles(*DESIGNERS)
def publish(key: str) -> Any:
    """Publish the draft as a new immutable version (422 with every problem if invalid)."""
    version, created = service.publish_form(session=db(), key=key, actor=current_user)
    db().commit()
    return version, 201 if created else 200


class PublisherSchema(Schema):
    """Who published a version."""

    email = fields.String()
    name = fields.String()


class VersionListItemSchema(VersionSummarySchema):
    """A version without its documents, and who published it."""

    published_by = fields.Nested(PublisherSchema, allow_none=True)


@blp.get("/<key>/versions")
@blp.response(200, VersionListItemSchema(many=True))
@require_roles()
def versions(key: str) -> Any:
    """Every published version, oldest first, with who published it."""
    found = service.list_versions(session=db(), key=key)
    ids = {v.published_by_id for v in found if v.published_by_id is not None}
    people = {u.id: u for u in db().scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [
        {"number": v.number, "hash": v.hash, "published_at": v.published_at,
         "published_by": people.get(v.published_by_id) if v.published_by_id else None}
        for v in found
    ]


@blp.get("/<key>/versions/<int:number>")
@blp.response(200, VersionSchema)
@require_roles()
def version(key: str, number: int) -> Any:
    """One version: its definition and compiled JSON Schema."""
    return service.get_version(session=db(), key=key, number=number)


@blp.post("/<key>/preview")
@blp.doc(
    requestBody={"required": True, "content": {"application/json": {"schema": {
        "type": "object", "description": "The draft definition being edited (any state)"}}}},
    parameters=[{"in": "query", "name": "lang", "schema": {"enum": ["en", "zh-CN"]}}],
)
@blp.response(200, description="The form as requesters would see it (text/html for an "
              "iframe srcdoc), drawn by the portal's own templates; nothing can be submitted",
              content_type="text/html")
@require_roles(*DESIGNERS)
def preview(key: str) -> Any:
    """Render a draft definition as the portal would, with the problems that stop publishing."""
    form = service.get_form(session=db(), key=key)
    request.max_content_length = PREVIEW_MAX_BYTES
    body = request.get_json()  # malformed -> 400, too large -> 413
    if not isinstance(body, dict):
        raise InvalidDefinition([Problem("", "type", "Send a form definition (a JSON object).")])
    definition = renderable(body)
    lang = current_language()
    values = {f["key"]: f["default"] for f in definition["fields"]
              if "key" in f and "default" in f}
    html = render_template(
        "builder/form_preview.html", definition=definition, values=values, lang=lang,
        title=localized(definition.get("title"), lang) or form.key,
        problems=[(p.pointer, problem_message(p)) for p in validate_definition(body)],
    )
    return Response(html, mimetype="text/html")


@blp.get("/<key>/export")
@blp.response(200, description="A form export document")
@require_roles(*DESIGNERS)
def export(key: str) -> Any:
    """The form as one JSON document, for import elsewhere."""
    document = service.export_form(session=db(), key=key)
    return document, 200, {"Content-Disposition": f'attachment; filename="{key}.form.json"'}


@blp.post("/import")
@blp.arguments(ImportArgsSchema, location="query")
@blp.arguments(ImportSchema)
@blp.response(201, FormSchema)
@require_roles(*DESIGNERS)
def import_(args: dict[str, Any], document: dict[str, Any]) -> Any:
    """Create a form from an export (or, with replace=true, overwrite an existing draft)."""
    form = service.import_form(session=db(), document=document, actor=current_user,
                               replace=args["replace"])
    db().commit()
    return form


@blp.post("/<key>/submissions")
@blp.arguments(SubmissionSchema)
@blp.response(201, TicketSchema)
@blp.alt_response(200, schema=TicketSchema, description="Replay of an Idempotency-Key")
@blp.alt_response(422, description="Invalid data: errors[] has a pointer per field")
@require_roles()
def submit(body: dict[str, Any], key: str) -> Any:
    """Submit form data and get a ticket. Send Idempotency-Key to make retries safe."""
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()[:255] or None
    ticket, created = submit_ticket(
        session=db(), form_key=key, data=body["data"], requester=current_user,
        idempotency_key=idempotency_key, channel="api", locale=current_language(),
    )
    db().commit()
    return ticket, 201 if created else 200
