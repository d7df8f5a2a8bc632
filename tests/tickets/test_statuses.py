"""Custom statuses inside the five categories (builder/statuses.py, runtime/tickets/
statuses.py): resolution, the admin's rules, the API and the admin page, the ticket page,
bulk changes, queue filters, the portal label and flows ending in a custom status."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from builder.flows import service as flows
from builder.statuses import Status, TicketStatus
from core.errors import Conflict, InvalidSubmission
from core.people import Role
from runtime.audit import AuditEntry
from runtime.submissions import submit_ticket
from runtime.tickets import changes
from runtime.tickets.bulk import BulkChange, bulk_update
from runtime.tickets.models import Ticket, TicketEvent
from runtime.tickets.queries import TicketFilters, list_queue, viewer_scope
from runtime.tickets.statuses import (
    create_status,
    move_status,
    resolve_status,
    set_status,
    update_status,
)
from tests.conftest import csrf_token

HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def parts(session):
    """"Waiting for parts" (pending), after the seeded pending status."""
    status = create_status(session=session, key="waiting_parts", category="pending",
                           label={"en": "Waiting for parts", "zh-CN": "等待配件"})
    session.commit()
    return status


# --- model and resolution ------------------------------------------------------------------

def test_seeded_statuses_one_per_category_and_new_tickets_get_the_new_default(desk):
    """The migration seeds a status per category keyed by the category; a new ticket is in
    ``new`` with the status key ``new``."""
    rows = desk.session.scalars(select(TicketStatus).where(
        TicketStatus.key.in_([s.value for s in Status]))).all()
    assert {(r.key, r.category, r.active) for r in rows} == {(s.value, s.value, True)
                                                             for s in Status}
    ticket = desk.new_ticket()
    assert (ticket.status, ticket.status_key) == (Status.NEW, "new")


def test_a_category_resolves_to_its_first_active_status_a_key_to_itself(session, parts):
    """A bare category picks its default (first active by position); reordering or
    deactivating changes the default; a key names itself; unknown or inactive is a 422."""
    assert resolve_status(session=session, value="pending").key == "pending"
    assert resolve_status(session=session, value="waiting_parts").key == "waiting_parts"
    move_status(session=session, key="waiting_parts", offset=-1)
    assert resolve_status(session=session, value="pending").key == "waiting_parts"
    update_status(session=session, key="waiting_parts", active=False)
    assert resolve_status(session=session, value="pending").key == "pending"
    for value in ("waiting_parts", "nope", "x" * 300, ""):
        with pytest.raises(InvalidSubmission) as caught:
            resolve_status(session=session, value=value)
        assert caught.value.problems[0].pointer == "/status"


def test_a_category_written_directly_lands_on_that_categorys_default(desk, parts):
    """Old code or a script writing only ``ticket.status`` still gets a matching key."""
    s = desk.session
    move_status(session=s, key="waiting_parts", offset=-1)
    ticket = desk.new_ticket()
    ticket.status = Status.PENDING
    s.commit()
    s.refresh(ticket)
    assert ticket.status_key == "waiting_parts"


def test_admin_rules_last_active_category_change_duplicates_and_bad_input(desk, parts):
    """A category keeps one active status; a status tickets are in keeps its category; keys
    are unique and never reused; bad keys and labels are 422 with pointers."""
    s = desk.session
    with pytest.raises(Conflict, match="only active status of new"):
        update_status(session=s, key="new", active=False)
    update_status(session=s, key="pending", active=False)  # waiting_parts remains
    with pytest.raises(Conflict, match="only active status"):
        update_status(session=s, key="waiting_parts", active=False)
    ticket = desk.new_ticket()
    set_status(session=s, ticket=ticket, value="waiting_parts")
    s.flush()
    with pytest.raises(Conflict, match="Tickets are in"):
        update_status(session=s, key="waiting_parts", category="open")
    with pytest.raises(Conflict, match="taken"):
        create_status(session=s, key="waiting_parts", category="open", label={"en": "X"})
    with pytest.raises(InvalidSubmission) as caught:
        create_status(session=s, key="Bad Key!", category="open", label={"fr": "x"})
    assert [p.pointer for p in caught.value.problems] == ["/key", "/label"]
    with pytest.raises(InvalidSubmission) as caught:
        create_status(session=s, key="ok_key", category="open", label={"en": "a\nb"})
    assert caught.value.problems[0].pointer == "/label/en"
    with pytest.raises(InvalidSubmission) as caught:
        create_status(session=s, key="ok_key", category="sideways", label={"en": "A"})
    assert caught.value.problems[0].pointer == "/category"


def test_status_changes_are_audited(session, parts):
    """Adding and renaming a status are audit entries like other definitions."""
    update_status(session=session, key="waiting_parts", label={"en": "Parts on order"})
    session.commit()
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "ticket_status", AuditEntry.entity_id == "waiting_parts")
        .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].after["label"]["en"] == "Parts on order"


# --- changing a ticket -----------------------------------------------------------------------

def test_update_by_custom_key_records_categories_and_keys(desk, parts):
    """A custom key sets the category and the key; the event has both, before and after."""
    s, ticket = desk.session, desk.new_ticket()
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, status="waiting_parts")
    s.commit()
    assert (ticket.status, ticket.status_key) == (Status.PENDING, "waiting_parts")
    event = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                                TicketEvent.kind == "status")).one()
    assert event.payload == {"from": "new", "to": "pending", "from_status": "new",
                             "to_status": "waiting_parts"}
    # the same status again is no change: no event, no new revision
    revision = ticket.revision
    changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, status="waiting_parts")
    assert ticket.revision == revision
    with pytest.raises(InvalidSubmission):
        changes.update_ticket(session=s, ticket=ticket, actor=desk.agent, status="gone")


def test_bulk_sets_a_custom_status_and_refuses_an_unknown_one(session, desk, parts):
    """Bulk goes through the same change; an unknown key refuses the whole request."""
    a, b = desk.new_ticket("a"), desk.new_ticket("b")
    scope = viewer_scope(session=session, viewer=desk.agent)
    result = bulk_update(session=session, scope=scope, numbers=[a.number, b.number],
                         change=BulkChange(status="waiting_parts"))
    assert result.changed == [a.number, b.number]
    assert {a.status_key, b.status_key} == {"waiting_parts"}
    with pytest.raises(InvalidSubmission):
        bulk_update(session=session, scope=scope, numbers=[a.number],
                    change=BulkChange(status="gone"))


def test_queue_filter_by_category_matches_all_its_statuses_by_key_only_that(session, desk,
                                                                            parts):
    """``pending`` finds both pending statuses; ``waiting_parts`` one; a mix unites them;
    an unknown key is a 422 naming it."""
    plain, waiting, other = desk.new_ticket("a"), desk.new_ticket("b"), desk.new_ticket("c")
    set_status(session=session, ticket=plain, value="pending")
    set_status(session=session, ticket=waiting, value="waiting_parts")
    session.flush()
    scope = viewer_scope(session=session, viewer=desk.agent)

    def numbers(*statuses: str) -> set[int]:
        page = list_queue(session=session, scope=scope,
                          filters=TicketFilters(statuses=statuses))
        return {t.number for t in page.tickets}

    assert numbers("pending") == {plain.number, waiting.number}
    assert numbers("waiting_parts") == {waiting.number}
    assert numbers("new", "waiting_parts") == {other.number, waiting.number}
    with pytest.raises(InvalidSubmission) as caught:
        numbers("nope")
    assert caught.value.problems[0].pointer == "/status"


# --- API -------------------------------------------------------------------------------------

def test_statuses_api_roles_and_errors(client, desk, bearer, make_user, parts):
    """Staff read; only admins write; 401 without a caller; 404, 409 and 422 with clear
    messages; no delete."""
    admin, agent = bearer(make_user(Role.ADMIN)), bearer(desk.agent)
    requester = bearer(desk.requester)
    assert client.get("/api/v1/statuses").status_code == 401
    assert client.get("/api/v1/statuses", headers=requester).status_code == 403
    listed = client.get("/api/v1/statuses", headers=agent).json
    assert [s["key"] for s in listed][:4] == ["new", "open", "pending", "waiting_parts"]
    body = {"key": "in_progress", "category": "open", "label": {"en": "In progress"}}
    assert client.post("/api/v1/statuses", json=body, headers=agent).status_code == 403
    made = client.post("/api/v1/statuses", json=body, headers=admin)
    assert made.status_code == 201 and made.json["position"] == 1
    assert client.post("/api/v1/statuses", json=body, headers=admin).status_code == 409
    bad = client.post("/api/v1/statuses", json={**body, "key": "In Progress!"}, headers=admin)
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/key"
    assert client.post("/api/v1/statuses", json={"key": "x_y"}, headers=admin).status_code \
        == 422
    assert client.post("/api/v1/statuses", data="{", headers={
        **admin, "Content-Type": "application/json"}).status_code == 400
    assert client.patch("/api/v1/statuses/nope", json={"active": False},
                        headers=admin).status_code == 404
    last = client.patch("/api/v1/statuses/new", json={"active": False}, headers=admin)
    assert last.status_code == 409 and "only active status" in last.json["detail"]
    renamed = client.patch("/api/v1/statuses/in_progress", json={
        "label": {"zh-CN": "进行中"}, "move": -1}, headers=admin)
    assert renamed.status_code == 200
    assert renamed.json["label"] == {"en": "In progress", "zh-CN": "进行中"}
    assert renamed.json["position"] == 0
    assert client.patch("/api/v1/statuses/in_progress", json={"move": 5},
                        headers=admin).status_code == 422
    assert client.delete("/api/v1/statuses/in_progress", headers=admin).status_code == 405


def test_ticket_api_shows_key_and_label_and_patch_takes_a_key(client, desk, bearer, parts):
    """GET has the category, the key and the label; PATCH takes a key or a category; an
    unknown or inactive key is a 422 pointing at /status; a stale If-Match is still 409."""
    ticket, headers = desk.new_ticket(), bearer(desk.agent)
    got = client.get(f"/api/v1/tickets/{ticket.number}", headers=headers)
    assert (got.json["status"], got.json["status_key"]) == ("new", "new")
    etag = got.headers["ETag"]
    changed = client.patch(f"/api/v1/tickets/{ticket.number}", json={
        "status": "waiting_parts"}, headers={**headers, "If-Match": etag})
    assert changed.status_code == 200, changed.json
    assert changed.json["status"] == "pending" and changed.json["status_key"] == "waiting_parts"
    assert changed.json["status_label"] == {"en": "Waiting for parts", "zh-CN": "等待配件"}
    stale = client.patch(f"/api/v1/tickets/{ticket.number}", json={"status": "open"},
                         headers={**headers, "If-Match": etag})
    assert stale.status_code == 409
    update_status(session=desk.session, key="waiting_parts", active=False)
    desk.session.commit()
    for value in ("gone", "waiting_parts", "x" * 65):
        bad = client.patch(f"/api/v1/tickets/{ticket.number}", json={"status": value},
                           headers=headers)
        assert bad.status_code == 422, (value, bad.json)
        assert "/status" in str(bad.json)
    listed = client.get("/api/v1/tickets?status=waiting_parts", headers=headers).json
    assert [t["number"] for t in listed["items"]] == [ticket.number]
    assert listed["items"][0]["status_label"]["en"] == "Waiting for parts"
    assert client.get("/api/v1/tickets?status=nope", headers=headers).status_code == 422
    assert client.get("/api/v1/tickets?status=DROP TABLE", headers=headers).status_code == 422


def test_a_rename_shows_at_once_in_the_process_that_made_it(client, desk, bearer, make_user,
                                                            parts):
    """Labels are kept per process for a few seconds; this process's own changes are not."""
    ticket, agent = desk.new_ticket(), bearer(desk.agent)
    client.patch(f"/api/v1/tickets/{ticket.number}", json={"status": "waiting_parts"},
                 headers=agent)
    shown = client.get(f"/api/v1/tickets/{ticket.number}", headers=agent)
    assert shown.json["status_label"]["en"] == "Waiting for parts"
    client.patch("/api/v1/statuses/waiting_parts", json={"label": {"en": "Parts ordered"}},
                 headers=bearer(make_user(Role.ADMIN)))
    shown = client.get(f"/api/v1/tickets/{ticket.number}", headers=agent)
    assert shown.json["status_label"] == {"en": "Parts ordered", "zh-CN": "等待配件"}


# --- pages -----------------------------------------------------------------------------------

def test_admin_page_adds_renames_reorders_deactivates_with_hostile_labels_inert(
        client, login, make_user, session, parts):
    """The page lists every category; each action changes the status and says so; a label
    with markup is shown as text; agents may not open it."""
    agent = make_user(Role.AGENT)
    login(agent)
    assert client.get("/admin/statuses").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/workspace")})
    login(make_user(Role.ADMIN))
    page = client.get("/admin/statuses").get_data(as_text=True)
    assert "Waiting for parts" in page and 'href="/admin/statuses"' in page
    token = csrf_token(client, "/admin/statuses")
    done = client.post("/admin/statuses", data={
        "csrf_token": token, "key": "hostile", "category": "open", "label_en": HOSTILE,
        "label_zh": "恶意"}, follow_redirects=True).get_data(as_text=True)
    assert "Status “hostile” added." in done
    assert HOSTILE not in done and "&lt;script&gt;" in done
    client.post("/admin/statuses/waiting_parts", data={
        "csrf_token": token, "action": "save", "label_en": "Parts ordered", "label_zh": ""})
    client.post("/admin/statuses/waiting_parts", data={"csrf_token": token, "action": "up"})
    client.post("/admin/statuses/pending", data={"csrf_token": token, "action": "deactivate"})
    status = session.get(TicketStatus, "waiting_parts")
    session.refresh(status)
    assert status.label == {"en": "Parts ordered", "zh-CN": "等待配件"} and status.position == 0
    assert session.get(TicketStatus, "pending").active is False
    refused = client.post("/admin/statuses/waiting_parts", data={
        "csrf_token": token, "action": "deactivate"}, follow_redirects=True)
    assert "only active status" in refused.get_data(as_text=True)
    bad = client.post("/admin/statuses", data={"csrf_token": token, "key": "X",
                                               "category": "open", "label_en": ""},
                      follow_redirects=True).get_data(as_text=True)
    assert "A key is 2 to 64 lowercase letters" in bad
    assert client.post("/admin/statuses", data={"key": "no_token"}).status_code == 400


def test_ticket_page_picker_groups_by_category_and_changes_by_custom_status(
        client, login, desk, parts):
    """The picker has an optgroup per category with the active statuses; choosing one
    changes the ticket; the timeline shows the labels; resending the shown status is no
    change; a stale revision is 409."""
    ticket = desk.new_ticket()
    login(desk.agent)
    path = f"/workspace/tickets/{ticket.number}"
    page = client.get(path).get_data(as_text=True)
    picker = page[page.index('id="f-status"'):page.index("</select>", page.index('id="f-status"'))]
    assert re.findall(r'<optgroup label="([^"]+)"', picker) == [
        "New", "Open", "Pending", "Resolved", "Closed"]
    assert '<option value="waiting_parts"' in picker
    token = csrf_token(client, path)
    client.post(f"{path}/update", data={"csrf_token": token, "revision": ticket.revision,
                                        "status": "waiting_parts", "status_was": "new"})
    desk.session.refresh(ticket)
    assert ticket.status_key == "waiting_parts"
    page = client.get(path).get_data(as_text=True)
    assert "New</span> → <span class=\"badge badge-pending\">Waiting for parts" in page
    stale = client.post(f"{path}/update", data={"csrf_token": token, "revision": 1,
                                                "status": "open", "status_was": "new"})
    assert stale.status_code == 409


def test_queue_page_offers_categories_and_custom_statuses(client, login, desk, parts):
    """The status filter lists the categories and the custom statuses; filtering by one
    shows its label in the rows; the bulk picker is grouped by category."""
    ticket = desk.new_ticket("Broken hinge")
    set_status(session=desk.session, ticket=ticket, value="waiting_parts")
    desk.session.commit()
    login(desk.agent)
    page = client.get("/workspace?status=waiting_parts").get_data(as_text=True)
    assert '<option value="waiting_parts" selected>Waiting for parts</option>' in page
    assert "Broken hinge" in page and ">Waiting for parts</span>" in page
    assert client.get("/workspace?status=nope").status_code == 422


def test_portal_shows_the_label_in_both_languages(client, login, desk, parts):
    """Requesters see the custom status's name, in Chinese when they chose Chinese."""
    ticket = desk.new_ticket()
    changes.update_ticket(session=desk.session, ticket=ticket, actor=desk.agent,
                          status="waiting_parts")
    desk.session.commit()
    login(desk.requester)
    for path in (f"/portal/tickets/{ticket.number}", "/portal/tickets", "/portal"):
        assert "Waiting for parts" in client.get(path).get_data(as_text=True), path
    client.get("/lang/zh-CN")
    assert "等待配件" in client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True)


def _timeline(html: str) -> str:
    """The portal ticket page's activity list."""
    match = re.search(r'<ol class="timeline">(.*?)</ol>', html, re.S)
    assert match, "no timeline"
    return match.group(1)


def test_portal_timeline_names_each_status_a_change_set(client, login, desk, parts):
    """Each status change on the requester's timeline shows the status it set (the custom
    label, in the requester's language), not its category, also once the ticket moved on;
    the flow's finish shows the status it ended in."""
    create_status(session=desk.session, key="refunded", category="resolved",
                  label={"en": "Refunded", "zh-CN": "已退款"})
    ticket = desk.new_ticket()
    for status in ("waiting_parts", "refunded", "closed"):
        changes.update_ticket(session=desk.session, ticket=ticket, actor=desk.agent,
                              status=status)
    desk.session.commit()
    login(desk.requester)
    timeline = _timeline(client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True))
    shown = re.findall(r'<span class="badge badge-(\w+)">([^<]+)</span>', timeline)
    assert shown == [("pending", "Waiting for parts"), ("resolved", "Refunded"),
                     ("closed", "Closed")]
    client.get("/lang/zh-CN")
    timeline = _timeline(client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True))
    assert [label for _c, label in re.findall(
        r'<span class="badge badge-(\w+)">([^<]+)</span>', timeline)] == [
        "等待配件", "已退款", "已关闭"]


# --- flows -----------------------------------------------------------------------------------

def _flow(end_data: dict, set_status: str | None = None) -> dict:
    nodes = [{"id": "start", "type": "start", "position": {"x": 0, "y": 0},
              "data": {"trigger": "form.submitted", "form": "simple"}},
             {"id": "done", "type": "end", "position": {"x": 400, "y": 0}, "data": end_data}]
    edges = [{"id": "e1", "source": "start", "target": "done"}]
    if set_status:
        nodes.insert(1, {"id": "set", "type": "action", "position": {"x": 200, "y": 0},
                         "data": {"action": "set", "set": {"status": set_status}}})
        edges = [{"id": "e1", "source": "start", "target": "set"},
                 {"id": "e2", "source": "set", "target": "done"}]
    return {"formatVersion": 1, "nodes": nodes, "edges": edges}


def test_flow_validation_reports_unknown_or_misplaced_status_keys(session, desk, parts):
    """An action or end naming no active status, or an end whose status lies outside its
    outcome's category, is a problem with a pointer; a category name is always fine."""
    refs = flows.flow_references(session=session)
    from builder.flows.definition import validate_flow

    def pointers(definition: dict) -> list[tuple[str, str]]:
        return [(p.pointer, p.code) for p in validate_flow(definition, directory=refs)]

    assert pointers(_flow({"outcome": "resolved"}, "waiting_parts")) == []
    assert pointers(_flow({"outcome": "resolved"}, "pending")) == []
    assert pointers(_flow({"outcome": "resolved"}, "gone")) == [
        ("/nodes/1/data/set/status", "unknownStatus")]
    assert pointers(_flow({"outcome": "resolved", "status": "waiting_parts"})) == [
        ("/nodes/1/data/status", "statusCategory")]
    assert pointers(_flow({"outcome": "rejected", "status": "nope"})) == [
        ("/nodes/1/data/status", "unknownStatus")]


def test_flow_end_with_a_custom_status(session, desk, make_user):
    """An end node naming a custom resolved status leaves the ticket in it; an action that
    sets a custom status shows it on the timeline event."""
    create_status(session=session, key="refunded", category="resolved",
                  label={"en": "Refunded", "zh-CN": "已退款"})
    create_status(session=session, key="waiting_parts", category="pending",
                  label={"en": "Waiting for parts"})
    flows.create_flow(session=session, key="simple-flow", title={"en": "Simple"}, actor=None,
                      definition=_flow({"outcome": "resolved", "status": "refunded"},
                                       "waiting_parts"))
    flows.publish_flow(session=session, key="simple-flow", actor=None)
    session.commit()
    ticket, _ = submit_ticket(session=session, form_key="simple", requester=desk.requester,
                              data={"category": "question", "summary": "Flow"})
    session.commit()
    ticket = session.get(Ticket, ticket.id)
    assert (ticket.status, ticket.status_key) == (Status.RESOLVED, "refunded")
    updated = session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "updated")).one()
    assert updated.payload["status_key"] == "waiting_parts"
    assert changes.resolved_at(session=session, ticket=ticket) is not None


def test_portal_timeline_shows_the_status_a_flow_ended_in(client, login, session, desk):
    """The flow's finish on the requester's timeline names the custom status it ended in."""
    create_status(session=session, key="refunded", category="resolved",
                  label={"en": "Refunded", "zh-CN": "已退款"})
    flows.create_flow(session=session, key="simple-flow", title={"en": "Simple"}, actor=None,
                      definition=_flow({"outcome": "resolved", "status": "refunded"}))
    flows.publish_flow(session=session, key="simple-flow", actor=None)
    session.commit()
    ticket, _ = submit_ticket(session=session, form_key="simple", requester=desk.requester,
                              data={"category": "question", "summary": "Flow"})
    session.commit()
    login(desk.requester)
    timeline = _timeline(client.get(f"/portal/tickets/{ticket.number}").get_data(as_text=True))
    finished = timeline[timeline.index("The request was completed"):]
    assert re.search(r'<span class="badge badge-resolved">Refunded</span>', finished)
