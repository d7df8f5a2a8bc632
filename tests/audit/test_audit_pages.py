"""/admin/audit: filters, cursor pages, streamed CSV export safe against formulas."""

from __future__ import annotations

import csv
import io

from app.admin_audit import safe_cell
from core.people import Role


def test_csv_cells_never_start_a_formula():
    """= + - @ (and tab / CR) at the start of a cell get a quote; others are untouched."""
    assert safe_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    for text in ("+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(text) == "'" + text
    assert safe_cell("plain") == "plain" and safe_cell(None) == ""
    assert safe_cell({"name": "=1+1"}) == '{"name": "=1+1"}'


def test_only_admins_see_the_trail(client, make_user, login):
    """Agents get 403 on the page and the export."""
    login(make_user(Role.AGENT))
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_filters_and_pages(client, make_user, login):
    """Filter by who, entity, id and action; pages follow the cursor; bad dates are told."""
    admin = make_user(Role.ADMIN)
    people = [make_user(Role.AGENT) for _ in range(3)]
    login(admin)
    html = client.get(f"/admin/audit?entity=user&id={people[1].id}").get_data(as_text=True)
    assert html.count('<tr id="audit-') == 1 and people[1].email in html
    page = client.get("/admin/audit?entity=user&action=create&cursor=0")
    assert page.status_code == 200
    assert client.get("/admin/audit?who=nobody@example.com").get_data(as_text=True).count(
        "No user with the email") == 1
    bad = client.get("/admin/audit?from=yesterday&to=2026-13-40&entity=%3Cscript%3E&cursor=x")
    assert bad.status_code == 200 and "Dates are written YYYY-MM-DD." in bad.get_data(
        as_text=True)
    assert client.get("/admin/audit?from=2000-01-01&to=2000-01-02").get_data(
        as_text=True).count('<tr id="audit-') == 0


def test_csv_export_streams_and_escapes(client, session, make_user, login):
    """The export holds every matching entry, with formula-looking values quoted."""
    from core.people import create_user

    evil = create_user(session=session, email="evil@example.com", name="=cmd|' /C calc'!A0",
                       role=Role.REQUESTER)
    session.commit()
    login(make_user(Role.ADMIN))
    response = client.get(f"/admin/audit/export.csv?entity=user&id={evil.id}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["id", "at", "actor", "entity", "entity_id", "action", "before", "after"]
    assert len(rows) == 2 and rows[1][3:6] == ["user", str(evil.id), "create"]
    assert rows[1][2] == "system"
    assert '"name": "=cmd' in rows[1][7]  # inside JSON: the cell starts with {
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in rows[1])


def test_page_changes_are_attributed_to_the_signed_in_user(client, session, make_user, login):
    """A change made through a page records the person signed in."""
    from runtime.audit import AuditEntry
    from tests.conftest import csrf_token

    agent = make_user(Role.AGENT)
    login(agent)
    client.post("/workspace/kb/new", data={"csrf_token": csrf_token(client, "/workspace/kb/new"),
                                           "title_en": "Audited article"})
    entry = session.query(AuditEntry).filter_by(entity="kb_article").order_by(
        AuditEntry.id.desc()).first()
    assert entry is not None and entry.actor_id == agent.id
    assert entry.after["title"] == {"en": "Audited article"}


def test_api_change_is_attributed_to_the_token_user(client, session, make_form, make_user,
                                                    bearer):
    """A PATCH through the API with a bearer token records that user, old and new values."""
    from runtime.audit import AuditEntry
    from runtime.submissions import submit_ticket

    make_form()
    ticket, _ = submit_ticket(session=session, form_key="refund", requester=make_user(), data={
        "category": "question", "description": "Where is it?", "email": "a@example.com",
        "confirm": True})
    session.commit()
    agent = make_user(Role.AGENT)
    response = client.patch(f"/api/v1/tickets/{ticket.number}", json={"priority": "high"},
                            headers=bearer(agent))
    assert response.status_code == 200, response.get_json()
    entry = session.query(AuditEntry).filter_by(entity="ticket", entity_id=str(ticket.number),
                                                action="update").order_by(
        AuditEntry.id.desc()).first()
    assert entry is not None and entry.actor_id == agent.id
    assert entry.before["priority"] == "normal" and entry.after["priority"] == "high"
