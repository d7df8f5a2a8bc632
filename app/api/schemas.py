"""Marshmallow schemas of the API: what goes in, what comes out (and the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, pre_load, validate
from sqlalchemy import inspect, select

from app.db import db
from runtime.tickets.statuses import status_labels

Text = fields.Raw(metadata={"description": "A string or {locale: string}", "example":
                            {"en": "Refund request", "zh-CN": "退款申请"}})


class ProblemItemSchema(Schema):
    """One located problem."""

    pointer = fields.String()
    code = fields.String()
    message = fields.String()


class FormCreateSchema(Schema):
    """A new form."""

    key = fields.String(required=True, metadata={"example": "refund"})
    title = fields.Raw(required=True, metadata={"example": {"en": "Refund request"}})


class FormPatchSchema(Schema):
    """Changes to a form."""

    title = fields.Raw()


class FormSchema(Schema):
    """A form and where it stands."""

    key = fields.String()
    title = fields.Raw()
    archived = fields.Boolean()
    revision = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    latest_version = fields.Method("_latest", allow_none=True)
    flow = fields.Function(lambda form: _form_flow(form), allow_none=True, metadata={
        "description": "{key, version} of the flow new tickets follow, or null"})

    def _latest(self, form: Any) -> int | None:
        return form.versions[-1].number if form.versions else None


class DefinitionSchema(Schema):
    """A form definition (see docs/form-format.md); drafts may be incomplete."""

    class Meta:
        unknown = INCLUDE


class ProblemsSchema(Schema):
    """The problems found in a draft."""

    valid = fields.Boolean()
    problems = fields.List(fields.Nested(ProblemItemSchema))


class VersionSchema(Schema):
    """A published, immutable form version and its compiled JSON Schema."""

    number = fields.Integer()
    hash = fields.String()
    published_at = fields.DateTime()
    definition = fields.Dict()
    schema = fields.Dict()


class VersionSummarySchema(Schema):
    """A version without its documents."""

    number = fields.Integer()
    hash = fields.String()
    published_at = fields.DateTime()


class ImportSchema(Schema):
    """An exported form document."""

    class Meta:
        unknown = INCLUDE


class ImportArgsSchema(Schema):
    """Import options."""

    replace = fields.Boolean(load_default=False)


class SubmissionSchema(Schema):
    """Form data: {field key: value}; files as references from POST /api/v1/attachments."""

    data = fields.Dict(required=True, keys=fields.String())


class AttachmentSchema(Schema):
    """A stored file."""

    id = fields.String()
    name = fields.String()
    size = fields.Integer()
    type = fields.String(attribute="content_type")


def _status_label(ticket: Any) -> dict[str, str]:
    if "custom_status" not in inspect(ticket).unloaded:  # lists load it with the page
        return dict(ticket.custom_status.label)
    label = status_labels(session=db()).get(ticket.status_key)
    return label if label is not None else ticket.custom_status.label  # added just now


class TicketSchema(Schema):
    """A ticket."""

    number = fields.Integer()
    subject = fields.String()
    status = fields.String(metadata={"description": "the category: new, open, pending, "
                                     "resolved or closed"})
    status_key = fields.String(metadata={"description": "the custom status in the category"})
    status_label = fields.Function(_status_label, metadata={
        "description": 'the custom status\'s label: {"en": ..., "zh-CN": ...}'})
    priority = fields.String()
    channel = fields.String()
    form = fields.String(attribute="form_key")
    form_version = fields.Integer(attribute="form_version_number")
    requester = fields.Function(lambda t: t.requester.email)
    data = fields.Dict()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    attachments = fields.List(fields.Nested(AttachmentSchema))


class TicketListArgsSchema(Schema):
    """Filters of the ticket list: repeat status, priority or form for any of several;
    ``field.<key>=<value>`` matches a submitted field; ``q`` searches the text."""

    class Meta:
        unknown = RAISE

    queue = fields.String(validate=validate.OneOf(["mine", "teams", "unassigned", "approvals",
                                                   "all"]), metadata={"example": "mine"})
    status = fields.List(fields.String(validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{1,63}$", error="A status is a category (new, open, pending, "
        "resolved, closed) or a status key.")), validate=validate.Length(max=20), metadata={
        "description": "a category (all its statuses) or a custom status key"})
    priority = fields.List(fields.String(validate=validate.OneOf(
        ["low", "normal", "high", "urgent"])), validate=validate.Length(max=4))
    form = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                       validate=validate.Length(max=20))
    team = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "a team key, or none"})
    assignee = fields.String(validate=validate.Length(min=1, max=254),
                             metadata={"description": "an email, me or none"})
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String(
        validate=validate.Length(max=500)), validate=validate.Length(max=10), metadata={
        "description": "field.<key>=<value> query parameters, gathered"})
    q = fields.String(validate=validate.Length(max=200), metadata={"description": "full text"})
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))
    cursor = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))

    @pre_load
    def _gather_field_filters(self, data: Any, **_kwargs: Any) -> dict[str, Any]:
        """``field.<key>`` parameters become one ``fields`` dict; empty values are dropped
        (a plain GET form sends every select, chosen or not); other names are refused
        (a query location would otherwise ignore them: a typo must not list everything)."""
        gathered: dict[str, Any] = {}
        out: dict[str, Any] = {}
        known = {f.data_key or name for name, f in self.fields.items()} - {"fields"}
        unknown = [k for k in data if k not in known and not k.startswith("field.")]
        if unknown:
            raise ValidationError({k: ["Unknown parameter."] for k in unknown[:10]})
        nul = [k for k in data if "\x00" in k or any("\x00" in str(v) for v in (
            data[k] if isinstance(data[k], list) else [data[k]]))]
        if nul:
            raise ValidationError({k[:70]: ["Control characters are not allowed."]
                                   for k in nul[:10]})
        for key in data:
            value = data[key]
            if isinstance(value, list):
                value = [v for v in value if v != ""]
            if value in ("", []):
                continue
            if key.startswith("field."):
                gathered[key[len("field."):]] = value
            else:
                out[key] = value
        if gathered:
            out["fields"] = gathered
        return out


class TicketPageSchema(Schema):
    """A page of tickets."""

    items = fields.List(fields.Nested(TicketSchema))
    next_cursor = fields.String(allow_none=True, metadata={
        "description": "pass as cursor for the next page; null at the end"})


class EventSchema(Schema):
    """A timeline entry."""

    id = fields.Integer()
    kind = fields.String()
    actor = fields.Function(lambda e: e.actor.email if e.actor else None)
    payload = fields.Dict()
    created_at = fields.DateTime()


class UserSchema(Schema):
    """A user (never with credentials)."""

    id = fields.Integer(dump_only=True)
    email = fields.Email(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.OneOf(
        ["admin", "designer", "agent", "requester"]))
    active = fields.Boolean(dump_only=True)
    password = fields.String(load_only=True, validate=validate.Length(min=8, max=200))
    teams = fields.List(fields.String(), load_only=True, load_default=list)


class TeamSchema(Schema):
    """A team."""

    id = fields.Integer(dump_only=True)
    key = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{0,63}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    members = fields.Function(lambda t: [{"email": m.user.email, "lead": m.lead}
                                         for m in t.members], dump_only=True)


# --- flows ---------------------------------------------------------------------------------


def _form_flow(form: Any) -> dict[str, Any] | None:
    """{"key", "version"} of the flow new tickets of ``form`` follow, or None."""
    from app.db import db
    from builder.flows.service import current_flow_version

    version = current_flow_version(session=db(), form_key=form.key)
    return {"key": version.flow.key, "version": version.number} if version else None


def _flow_form(flow: Any) -> str | None:
    """The key of the form whose new tickets follow ``flow``, or None."""
    from app.db import db
    from builder.flows.service import bound_form

    return bound_form(session=db(), flow=flow)


class FlowCreateSchema(Schema):
    """A new flow."""

    key = fields.String(required=True, metadata={"example": "refund-flow"})
    title = fields.Raw(required=True, metadata={"example": {"en": "Refund handling"}})


class FlowSchema(Schema):
    """A flow and where it stands."""

    key = fields.String()
    title = fields.Raw()
    archived = fields.Boolean()
    revision = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    latest_version = fields.Method("_latest", allow_none=True)
    form = fields.Function(lambda flow: _flow_form(flow), allow_none=True,
                           metadata={"description": "The form whose new tickets follow it"})

    def _latest(self, flow: Any) -> int | None:
        return flow.versions[-1].number if flow.versions else None


class FlowVersionSummarySchema(Schema):
    """A flow version without its definition."""

    number = fields.Integer()
    hash = fields.String()
    form = fields.String(attribute="form_key", allow_none=True)
    published_at = fields.DateTime()


class FlowVersionSchema(FlowVersionSummarySchema):
    """A published, immutable flow version."""

    definition = fields.Dict()


class FlowPublicationSchema(FlowVersionSchema):
    """A published version and the flow it took its form over from."""

    replaced = fields.String(allow_none=True, metadata={
        "description": "Key of the flow the form's new tickets followed until now"})


class SimulationSchema(Schema):
    """A sample submission to dry-run through a flow."""

    data = fields.Dict(required=True, keys=fields.String())
    ticket = fields.Dict(keys=fields.String(), metadata={
        "description": "Overrides of _ticket (priority, channel, status, number)"})
    requester = fields.Dict(keys=fields.String(), metadata={
        "description": "Overrides of _requester (email, role, attributes such as level)"})
    decisions = fields.Dict(keys=fields.String(),
                            values=fields.String(validate=validate.OneOf(["approve", "reject"])),
                            metadata={"description": "{approval node id: approve | reject}"})


class SimulationArgsSchema(Schema):
    """Which definition to simulate."""

    version = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "A published version; the draft when absent"})


class SimulationStepSchema(Schema):
    """One node entered and why."""

    node = fields.String()
    reason = fields.String()


class SimulationResultSchema(Schema):
    """The path a sample submission takes."""

    path = fields.List(fields.String())
    steps = fields.List(fields.Nested(SimulationStepSchema))
    outcome = fields.String(allow_none=True)
    ended = fields.Boolean()


# --- tasks and incidents -------------------------------------------------------------------


def _task_title(task: Any) -> str:
    """The task's title in the request's language, or what the task asks for by kind."""
    from flask_babel import gettext

    from app.extensions import current_language
    from builder.forms.texts import localized

    text = localized(task.title, current_language())
    return text or (gettext("Approval") if task.kind == "approval" else gettext("Task"))


def _ticket_number(ticket_id: int | None) -> int | None:
    """The number of the ticket with this id, or None."""
    from app.db import db
    from runtime.tickets.models import Ticket

    return db().scalar(select(Ticket.number).where(Ticket.id == ticket_id)) if ticket_id else None


class TaskListArgsSchema(Schema):
    """Which tasks to list."""

    scope = fields.String(load_default="mine", validate=validate.OneOf(["mine", "team"]),
                          metadata={"description": "mine: held by me; team: by my teams"})
    status = fields.String(load_default="open",
                           validate=validate.OneOf(["open", "done", "closed"]))


class TaskTicketSchema(Schema):
    """The ticket a task belongs to."""

    number = fields.Integer()
    subject = fields.String()


class TaskSchema(Schema):
    """An approval or user task and who holds it."""

    id = fields.Integer()
    key = fields.String()
    kind = fields.String(metadata={"description": "approval | user_task"})
    node = fields.String()
    title = fields.Raw(allow_none=True, metadata={"description": "{locale: text} or null"})
    title_text = fields.Function(_task_title, metadata={
        "description": "The title in the request's language ('Approval' when untitled)"})
    status = fields.String(metadata={"description": "open | done | closed"})
    decision = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    ticket = fields.Nested(TaskTicketSchema)
    assignee = fields.Function(lambda t: t.assignee.email if t.assignee else None,
                               allow_none=True)
    delegated_by = fields.Function(lambda t: t.delegated_by.email if t.delegated_by
                                   else None, allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


class DecisionSchema(Schema):
    """A decision on a task: approve or reject an approval, complete a user task."""

    decision = fields.String(required=True, validate=validate.OneOf(
        ["approve", "reject", "complete"]))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))


class HandOverSchema(Schema):
    """Who should hold the task next (an active agent, designer or admin)."""

    to = fields.Email(required=True, metadata={"example": "agent2@example.com"})
    comment = fields.String(load_default="", validate=validate.Length(max=5000))


class IncidentListArgsSchema(Schema):
    """Which incidents to list."""

    open = fields.Boolean(load_default=True, metadata={
        "description": "true: not retried yet; false: every incident"})


class IncidentSchema(Schema):
    """A side effect whose retries ran out."""

    id = fields.Integer()
    error = fields.String()
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)
    ticket = fields.Function(lambda i: _ticket_number(i.ticket_id), allow_none=True,
                             metadata={"description": "The ticket's number"})
    kind = fields.String(attribute="message.kind",
                         metadata={"description": "webhook | lookup | email"})
    effect = fields.String(attribute="message.effect_key")
    attempts = fields.Integer(attribute="message.attempts")
    delivery = fields.String(attribute="message.status",
                             metadata={"description": "The message's status now"})


class CommentInSchema(Schema):
    """A reply or an internal note."""

    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    internal = fields.Boolean(load_default=False)
