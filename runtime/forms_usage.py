"""Where forms are used: the flow each form starts and the open tickets of each version.

The forms list shows, for every form, which flow its new tickets follow (the flow's binding,
set when a flow whose start node names the form is published) and how many tickets are
still open on each published version: tickets stay pinned to the version they were submitted
under, so an old version is "in use" until its last ticket is resolved. Four statements
read everything (forms, versions, open counts grouped by version, bindings), so the list
costs the same for ten forms or a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder.fields.values import json_hash
from builder.flows.models import Flow, FlowBinding, FlowVersion
from builder.forms.models import Form, FormVersion
from builder.forms.service import list_forms
from runtime.tickets.models import Ticket
from runtime.tickets.queries import OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class FormVersionUsage:
    """One published version of a form and its open tickets."""

    number: int
    hash: str
    open: int


@dataclass(frozen=True, slots=True)
class BoundFlow:
    """The flow (and its version) that new tickets of a form follow."""

    key: str
    title: Any
    version: int


@dataclass(frozen=True, slots=True)
class FormUsage:
    """A form with the flow it starts and per-version open ticket counts."""

    form: Form
    flow: BoundFlow | None
    versions: list[FormVersionUsage] = field(default_factory=list)

    @property
    def open(self) -> int:
        """Open tickets over all versions."""
        return sum(version.open for version in self.versions)

    @property
    def version_usage(self) -> list[FormVersionUsage]:
        """The versions (a name that plain forms lack, so serializers tell them apart)."""
        return self.versions

    @property
    def latest_version(self) -> int | None:
        """The newest published version's number, or None when never published."""
        return self.versions[-1].number if self.versions else None

    @property
    def draft_changed(self) -> bool:
        """The draft differs from the newest published version (False if never published)."""
        return bool(self.versions) and json_hash(self.form.draft) != self.versions[-1].hash

    def __getattr__(self, name: str) -> Any:
        # key, title, archived, updated_at ...: the form's, so it serializes like one
        return getattr(self.form, name)


def forms_with_usage(*, session: Session, include_archived: bool = False) -> list[FormUsage]:
    """Every form (by key) with the flow it starts and the open tickets of each version."""
    forms = list_forms(session=session, include_archived=include_archived)
    ids = [form.id for form in forms]
    if not ids:
        return []
    versions: dict[int, list[tuple[int, int, str]]] = {}
    for form_id, version_id, number, hash_ in session.execute(
        select(FormVersion.form_id, FormVersion.id, FormVersion.number, FormVersion.hash)
        .where(FormVersion.form_id.in_(ids)).order_by(FormVersion.number)
    ):
        versions.setdefault(form_id, []).append((version_id, number, hash_))
    open_tickets: dict[int, int] = {
        version_id: count for version_id, count in session.execute(
            select(Ticket.form_version_id, func.count())
            .where(Ticket.form_id.in_(ids),
                   Ticket.status.in_([status.value for status in OPEN_STATUSES]))
            .group_by(Ticket.form_version_id)
        )
    }
    flows = {
        form_id: BoundFlow(key=key, title=title, version=number)
        for form_id, key, title, number in session.execute(
            select(FlowBinding.form_id, Flow.key, Flow.title, FlowVersion.number)
            .join(Flow, Flow.id == FlowBinding.flow_id)
            .join(FlowVersion, FlowVersion.id == FlowBinding.flow_version_id)
            .where(FlowBinding.form_id.in_(ids))
        )
    }
    return [
        FormUsage(
            form=form,
            flow=flows.get(form.id),
            versions=[FormVersionUsage(number=number, hash=hash_,
                                       open=open_tickets.get(version_id, 0))
                      for version_id, number, hash_ in versions.get(form.id, [])],
        )
        for form in forms
    ]
