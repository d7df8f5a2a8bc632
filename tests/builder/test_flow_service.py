"""Flow services on a real database: references, binding, current flow, the directory."""

from __future__ import annotations

import json
from pathlib import Path

from builder.flows import service
from core.people import Role, create_team
from tests.conftest import demo_definition

FLOWS = Path(__file__).resolve().parents[2] / "builder" / "flows" / "demo"


def _refund_flow() -> dict:
    return json.loads((FLOWS / "refund-flow.json").read_text())


def test_flow_current_version_follows_publishing(session, make_user, make_form):
    """No flow, then A's version, then B takes the form, then archiving B leaves none."""
    create_team(session=session, key="after-sales", name="After-sales")
    make_form(demo_definition("refund"))
    assert service.current_flow_version(session=session, form_key="refund") is None
    for key in ("flow-a", "flow-b"):
        service.create_flow(session=session, key=key, title="F", actor=None,
                            definition=_refund_flow())
    first = service.publish_flow(session=session, key="flow-a", actor=None)
    assert first.created and first.replaced is None and first.version.form_key == "refund"
    assert service.current_flow_version(session=session, form_key="refund") == first.version
    second = service.publish_flow(session=session, key="flow-b", actor=None)
    assert second.replaced == "flow-a"
    assert service.current_flow_version(session=session, form_key="refund") == second.version
    service.archive_flow(session=session, key="flow-b")
    assert service.current_flow_version(session=session, form_key="refund") is None
    assert service.current_flow_version(session=session, form_key="nope") is None


def test_flow_references_use_the_latest_published_form(session, make_form):
    """Field keys come from the form's latest published version (its draft if unpublished)."""
    make_form(demo_definition("refund"))
    draft_only = demo_definition("repair")
    make_form(draft_only, publish=False)
    refs = service.flow_references(session=session)
    assert "amount" in refs.forms["refund"] and "region" in refs.forms["repair"]
    assert refs.roles == {role.value for role in Role}
