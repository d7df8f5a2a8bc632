"""Where flows are used: the form each one serves and the open tickets of each version.

The flows list shows, for every flow, which form's new tickets follow it and how many
tickets are still running on each published version (a version cannot be "edited away"
while tickets run on it; they stay pinned). One grouped query counts the running
instances of every version at once, so the list costs the same for ten flows or a thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from builder.flows.models import Flow, FlowBinding, FlowVersion
from builder.flows.service import list_flows
from builder.forms.models import Form
from runtime.flows.models import FlowInstance, InstanceStatus


@dataclass(frozen=True, slots=True)
class VersionUsage:
    """One published version and its running flow instances (open tickets)."""

    number: int
    open: int
    form_key: str | None


@dataclass(frozen=True, slots=True)
class FlowUsage:
    """A flow with the form it serves (its binding) and per-version open ticket counts."""

    flow: Flow
    bound_form: str | None
    bound_version: int | None
    versions: list[VersionUsage] = field(default_factory=list)

    @property
    def open(self) -> int:
        """Open tickets over all versions."""
        return sum(version.open for version in self.versions)

    def __getattr__(self, name: str) -> Any:
        # key, title, archived ...: the flow's, so it serializes like one
        return getattr(self.flow, name)


def flows_with_usage(*, session: Session, include_archived: bool = False) -> list[FlowUsage]:
    """Every flow (by key) with its bound form and the open tickets of each version."""
    flows = list_flows(session=session, include_archived=include_archived)
    ids = [flow.id for flow in flows]
    if not ids:
        return []
    versions: dict[int, list[tuple[int, int, str | None]]] = {}
    for flow_id, version_id, number, form_key in session.execute(
        select(FlowVersion.flow_id, FlowVersion.id, FlowVersion.number, FlowVersion.form_key)
        .where(FlowVersion.flow_id.in_(ids)).order_by(FlowVersion.number)
    ):
        versions.setdefault(flow_id, []).append((version_id, number, form_key))
    running: dict[int, int] = dict(session.execute(
        select(FlowInstance.flow_version_id, func.count())
        .join(FlowVersion, FlowVersion.id == FlowInstance.flow_version_id)
        .where(FlowVersion.flow_id.in_(ids), FlowInstance.status == InstanceStatus.RUNNING)
        .group_by(FlowInstance.flow_version_id)
    ).all())
    bindings = {
        flow_id: (form_key, number)
        for flow_id, form_key, number in session.execute(
            select(FlowBinding.flow_id, Form.key, FlowVersion.number)
            .join(Form, Form.id == FlowBinding.form_id)
            .join(FlowVersion, FlowVersion.id == FlowBinding.flow_version_id)
            .where(FlowBinding.flow_id.in_(ids))
        )
    }
    return [
        FlowUsage(
            flow=flow,
            bound_form=bindings.get(flow.id, (None, None))[0],
            bound_version=bindings.get(flow.id, (None, None))[1],
            versions=[VersionUsage(number=number, open=running.get(version_id, 0),
                                   form_key=form_key)
                      for version_id, number, form_key in versions.get(flow.id, [])],
        )
        for flow in flows
    ]
