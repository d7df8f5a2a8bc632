"""Flow design services: the shared lifecycle, references, binding to forms, simulation input.

Drafts, publishing, versions and import/export are the forms' lifecycle
(``builder.definitions``) over ``Flow``/``FlowVersion``. Validation needs to know what a
draft refers to; ``flow_references`` reads it from the database once per check.

Binding. Publishing a flow whose start is ``form.submitted`` for form X makes it the flow
new tickets of X follow, in one step: the previous flow of X (if another one) is unbound,
keeps its versions and can be published again to take X back — the way "associate this
workflow with the project" behaves in Jira and ServiceNow. A flow serves one form at a
time; publishing a version bound to another form (or to none) moves (or drops) its binding.
Archiving a flow unbinds it. Running tickets stay pinned to the version they started on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from builder.definitions import Lifecycle
from builder.fields import FIELD_TYPES
from builder.flows.definition import bound_form_key, validate_flow
from builder.flows.models import Flow, FlowBinding, FlowVersion
from builder.flows.nodes import FlowReferences
from builder.forms.models import Form, FormVersion
from builder.statuses import TicketStatus
from core.errors import InvalidDefinition, NotFound, Problem
from core.people import Role, Team, User

EXPORT_KIND = "docket.flow"


def empty_definition(key: str, title: dict[str, str]) -> dict[str, Any]:
    """The draft a new flow starts with: a manual start joined to an end."""
    return {
        "formatVersion": 1, "key": key, "title": title,
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
             "data": {"trigger": "manual"}},
            {"id": "end", "type": "end", "position": {"x": 300, "y": 0},
             "data": {"outcome": "resolved"}},
        ],
        "edges": [{"id": "e1", "source": "start", "target": "end"}],
    }


def form_field_keys(definition: Any) -> set[str]:
    """The data keys of a form definition's top-level valued fields."""
    fields = definition.get("fields") if isinstance(definition, dict) else None
    return {
        field["key"]
        for field in (fields if isinstance(fields, list) else [])
        if isinstance(field, dict) and isinstance(field.get("key"), str)
        and getattr(FIELD_TYPES.get(str(field.get("type"))), "has_value", False)
    }


def flow_references(*, session: Session) -> FlowReferences:
    """What flows may refer to: live forms (fields of their latest published version, else
    of their draft), active users' emails, team keys, role names and active statuses."""
    forms: dict[str, set[str]] = {}
    for form in session.scalars(select(Form).where(Form.archived.is_(False))):
        latest = session.scalar(
            select(FormVersion.definition).where(FormVersion.form_id == form.id)
            .order_by(FormVersion.number.desc()).limit(1)
        )
        forms[form.key] = form_field_keys(latest if latest is not None else form.draft)
    return FlowReferences(
        forms=forms,
        users=set(session.scalars(select(User.email).where(User.active.is_(True)))),
        teams=set(session.scalars(select(Team.key))),
        roles={role.value for role in Role},
        statuses=dict(session.execute(select(TicketStatus.key, TicketStatus.category).where(
            TicketStatus.active.is_(True))).all()),
    )


FLOWS: Lifecycle[Flow, FlowVersion] = Lifecycle(
    noun="flow",
    model=Flow,
    version_model=FlowVersion,
    owner_column="flow_id",
    export_kind=EXPORT_KIND,
    empty=empty_definition,
    validate=lambda session, definition: validate_flow(
        definition, directory=flow_references(session=session)
    ),
    version_columns=lambda _session, definition: {"form_key": bound_form_key(definition)},
)

list_flows = FLOWS.list_all
get_flow = FLOWS.get
create_flow = FLOWS.create
update_flow = FLOWS.update
save_draft = FLOWS.save_draft
validate_draft = FLOWS.validate_draft
latest_version = FLOWS.latest_version
list_versions = FLOWS.list_versions
get_version = FLOWS.get_version
export_flow = FLOWS.export
import_flow = FLOWS.import_


@dataclass(frozen=True, slots=True)
class Publication:
    """The outcome of publishing: the version, whether it is new, the flow it replaced."""

    version: FlowVersion
    created: bool
    #: Key of the flow that served the form until now (None: none, or this flow already).
    replaced: str | None

    def __getattr__(self, name: str) -> Any:
        # number, hash, form_key, definition ...: the version's, so it serializes like one
        return getattr(self.version, name)


def publish_flow(*, session: Session, key: str, actor: User | None) -> Publication:
    """Freeze the draft as the next version and make it the flow of its bound form."""
    version, created = FLOWS.publish(session=session, key=key, actor=actor)
    replaced = bind_flow(session=session, version=version, actor=actor)
    return Publication(version, created, replaced)


def bind_flow(*, session: Session, version: FlowVersion, actor: User | None) -> str | None:
    """Make ``version`` the flow of its form (unbinding any other); returns the replaced key."""
    form = None
    if version.form_key is not None:
        # Lock the form row: two flows published for one form at once take turns here.
        form = session.scalar(select(Form).where(Form.key == version.form_key).with_for_update())
        if form is None:  # validation saw it; it cannot vanish, but never bind to nothing
            raise NotFound(f"There is no form with key '{version.form_key}'.")
    previous = None
    if form is not None:
        previous = session.scalar(
            select(Flow.key).join(FlowBinding, FlowBinding.flow_id == Flow.id)
            .where(FlowBinding.form_id == form.id, Flow.id != version.flow_id)
        )
    condition = FlowBinding.flow_id == version.flow_id
    session.execute(
        delete(FlowBinding).where(or_(condition, FlowBinding.form_id == form.id)
                                  if form is not None else condition)
    )
    if form is not None:
        session.add(FlowBinding(form_id=form.id, flow_id=version.flow_id,
                                flow_version_id=version.id,
                                bound_by_id=actor.id if actor else None))
    session.flush()
    return previous


def duplicate_flow(*, session: Session, key: str, new_key: str, title: Any,
                   actor: User | None) -> Flow:
    """A new flow whose draft is a copy of ``key``'s draft (unpublished, bound to nothing
    until it is published)."""
    source = get_flow(session=session, key=key)
    definition = dict(source.draft) if isinstance(source.draft, dict) else {}
    flow = create_flow(session=session, key=new_key, title=title, actor=actor,
                       definition=definition)
    flow.draft = {**flow.draft, "title": flow.title}
    session.flush()
    return flow


def archive_flow(*, session: Session, key: str) -> Flow:
    """Archive a flow and unbind it: new tickets of its form follow no flow until another
    is published; running tickets keep their version."""
    flow = FLOWS.archive(session=session, key=key)
    session.execute(delete(FlowBinding).where(FlowBinding.flow_id == flow.id))
    session.flush()
    return flow


def current_flow_version(*, session: Session, form_key: str) -> FlowVersion | None:
    """The flow version new tickets of form ``form_key`` follow, or None."""
    return session.scalar(
        select(FlowVersion)
        .join(FlowBinding, FlowBinding.flow_version_id == FlowVersion.id)
        .join(Form, Form.id == FlowBinding.form_id)
        .where(Form.key == form_key)
    )


def bound_form(*, session: Session, flow: Flow) -> str | None:
    """The key of the form whose new tickets follow ``flow``, or None."""
    return session.scalar(
        select(Form.key).join(FlowBinding, FlowBinding.form_id == Form.id)
        .where(FlowBinding.flow_id == flow.id)
    )


def simulation_definition(
    *, session: Session, key: str, version: int | None = None
) -> dict[str, Any]:
    """The definition to dry-run: a published version, or the draft if it is valid."""
    if version is not None:
        return dict(get_version(session=session, key=key, number=version).definition)
    flow = get_flow(session=session, key=key)
    problems: list[Problem] = validate_draft(session=session, key=key)
    if problems:
        raise InvalidDefinition(problems, "The draft has problems; fix them to simulate it.")
    return dict(flow.draft)
