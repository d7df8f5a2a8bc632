"""Submissions through the API: validation, hidden values, idempotency, pinning, files."""

from __future__ import annotations

import io

from sqlalchemy import select

from core.people import Role
from runtime.audit import AuditEntry
from runtime.tickets.models import Attachment, Ticket
from runtime.tickets.search import TicketSearch, ticket_document
from tests.forms_fixtures import PNG, simple_form

PROBLEM = "application/problem+json"
GOOD = {"category": "refund", "order_id": "OD12345678", "amount": 12.5, "summary": "Broken"}


def _submit(client, headers, data, **extra):
    return client.post("/api/v1/forms/simple/submissions", json={"data": data},
                       headers={**headers, **extra})


def test_submission_writes_the_ticket_event_search_row_and_audit_entry(
        client, as_role, make_form, session):
    """The rows a submission writes without the unit of work (one statement on PostgreSQL,
    one each elsewhere) are the ones a flush would have written."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    number = _submit(client, requester, GOOD).json["number"]
    ticket = session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.status_key == "new" and ticket.revision == 1
    assert [(e.kind, e.actor_id, e.payload, e.created_at) for e in ticket.events] == [
        ("created", ticket.requester_id, {"form": "simple", "version": 1, "channel": "api"},
         ticket.created_at)]
    document = session.scalar(select(TicketSearch.document).where(
        TicketSearch.ticket_id == ticket.id))
    # the same words (PostgreSQL's jsonb keeps keys in its own order, not the submitted one)
    assert sorted(document.split()) == sorted(ticket_document(ticket.subject, ticket.data).split())
    assert "od12345678" in document.split()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.entity == "ticket",
                                                    AuditEntry.entity_id == str(number)))
    assert entry.action == "create" and entry.actor_id == ticket.requester_id
    assert entry.after["id"] == ticket.id and entry.after["number"] == number
    assert entry.after["data"] == GOOD and entry.after["status_key"] == "new"
    assert entry.after["created_at"] == ticket.created_at.isoformat()


def test_submission_creates_a_numbered_ticket(client, as_role, make_form):
    """A valid submission is 201 with a number, status new and the data as stored."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    response = _submit(client, requester, GOOD)
    assert response.status_code == 201, response.json
    ticket = response.json
    assert ticket["number"] >= 1001
    assert ticket["status"] == "new" and ticket["priority"] == "normal"
    assert ticket["subject"] == "Broken"
    assert ticket["data"] == GOOD
    assert ticket["form"] == "simple" and ticket["form_version"] == 1
    events = client.get(f"/api/v1/tickets/{ticket['number']}/events", headers=requester).json
    assert [e["kind"] for e in events] == ["created"]
    second = _submit(client, requester, {**GOOD, "summary": "Again"}).json
    assert second["number"] == ticket["number"] + 1


def test_submission_drops_values_of_hidden_fields(client, as_role, make_form):
    """Order number and amount only count for refunds; otherwise they are not stored."""
    make_form(simple_form())
    data = {"category": "question", "order_id": "garbage", "amount": -5, "summary": "Hi"}
    response = _submit(client, as_role(Role.REQUESTER), data)
    assert response.status_code == 201, response.json
    assert response.json["data"] == {"category": "question", "summary": "Hi"}


def test_submission_invalid_gives_a_pointer_per_field(client, as_role, make_form, session):
    """Every bad field is reported with its pointer; no ticket is written."""
    make_form(simple_form())
    before = session.query(Ticket).count()
    response = _submit(client, as_role(Role.REQUESTER),
                       {"category": "refund", "order_id": "123", "amount": 0})
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    by_pointer = {e["pointer"]: e for e in response.json["errors"]}
    assert set(by_pointer) == {"/order_id", "/amount", "/summary"}
    assert by_pointer["/summary"]["code"] == "required"
    assert by_pointer["/order_id"]["code"] == "pattern"
    assert all(e["message"] for e in by_pointer.values())
    assert session.query(Ticket).count() == before


def test_submission_messages_follow_the_language(client, as_role, make_form):
    """Accept-Language: zh-CN gives the field messages in Chinese."""
    make_form(simple_form())
    response = _submit(client, as_role(Role.REQUESTER), {"category": "question"},
                       **{"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 422
    message = response.json["errors"][0]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message


def test_submission_rejects_unknown_fields_and_non_objects(client, as_role, make_form):
    """A typo in a key is reported, not silently dropped; data must be an object."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    typo = _submit(client, requester, {"category": "question", "summary": "x", "sumary": "y"})
    assert typo.status_code == 422
    assert [e["pointer"] for e in typo.json["errors"]] == ["/sumary"]
    wrong = client.post("/api/v1/forms/simple/submissions", json={"data": [1]}, headers=requester)
    assert wrong.status_code == 422
    missing = client.post("/api/v1/forms/simple/submissions", json={}, headers=requester)
    assert missing.status_code == 422


def test_submission_unknown_or_unpublished_form_is_404(client, as_role, make_form):
    """No form, or a form never published: 404."""
    requester = as_role(Role.REQUESTER)
    assert client.post("/api/v1/forms/none/submissions", json={"data": {}},
                       headers=requester).status_code == 404
    make_form(simple_form(), key="draft-only", publish=False)
    assert client.post("/api/v1/forms/draft-only/submissions", json={"data": {}},
                       headers=requester).status_code == 404


def test_submission_idempotency_key_replays_the_same_ticket(client, as_role, make_form):
    """Same key and body: the same ticket (200); same key, other body: 409."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    first = _submit(client, requester, GOOD, **{"Idempotency-Key": "abc-1"})
    replay = _submit(client, requester, GOOD, **{"Idempotency-Key": "abc-1"})
    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json["number"] == first.json["number"]
    other = _submit(client, requester, {**GOOD, "summary": "else"}, **{"Idempotency-Key": "abc-1"})
    assert other.status_code == 409
    someone_else = _submit(client, as_role(Role.REQUESTER), GOOD, **{"Idempotency-Key": "abc-1"})
    assert someone_else.status_code == 201
    assert someone_else.json["number"] != first.json["number"]


def test_ticket_stays_pinned_to_its_form_version(client, as_role, make_form):
    """Republishing a form with a new required field never changes an existing ticket."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    designer = as_role(Role.DESIGNER)
    number = _submit(client, requester, GOOD).json["number"]
    changed = simple_form()
    changed["fields"].append({"id": "f9", "key": "extra", "type": "text", "required": True,
                              "label": "Extra"})
    changed["layout"][0]["children"].append("f9")
    client.put("/api/v1/forms/simple/draft", json=changed, headers=designer)
    assert client.post("/api/v1/forms/simple/publish", headers=designer).status_code == 201
    ticket = client.get(f"/api/v1/tickets/{number}", headers=requester).json
    assert ticket["form_version"] == 1 and ticket["data"] == GOOD
    assert _submit(client, requester, GOOD).status_code == 422  # v2 needs "extra"


def test_tickets_requesters_see_only_their_own(client, as_role, make_form):
    """Another requester gets 404 for my ticket and an empty list; an agent sees it."""
    make_form(simple_form())
    mine = as_role(Role.REQUESTER)
    number = _submit(client, mine, GOOD).json["number"]
    other = as_role(Role.REQUESTER)
    assert client.get(f"/api/v1/tickets/{number}", headers=other).status_code == 404
    assert client.get("/api/v1/tickets", headers=other).json["items"] == []
    assert [t["number"] for t in client.get("/api/v1/tickets", headers=mine).json["items"]] == [
        number]
    assert client.get(f"/api/v1/tickets/{number}", headers=as_role(Role.AGENT)).status_code == 200


def test_tickets_list_paginates_with_a_cursor(client, as_role, make_form):
    """limit and next_cursor walk every ticket once, newest first."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    numbers = [_submit(client, requester, {**GOOD, "summary": str(i)}).json["number"]
               for i in range(5)]
    seen, cursor = [], None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = client.get(f"/api/v1/tickets{query}", headers=requester).json
        seen += [t["number"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(numbers, reverse=True)
    assert client.get("/api/v1/tickets?limit=0", headers=requester).status_code == 422


def _upload(client, headers, content=PNG, name="photo.png"):
    return client.post("/api/v1/attachments", data={"file": (io.BytesIO(content), name)},
                       headers=headers, content_type="multipart/form-data")


def test_files_upload_reference_and_download(client, as_role, make_form, session):
    """Upload, reference in a submission, then only the allowed may download it."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    uploaded = _upload(client, requester)
    assert uploaded.status_code == 201, uploaded.json
    ref = uploaded.json
    assert ref["type"] == "image/png" and ref["size"] == len(PNG)
    response = _submit(client, requester, {**GOOD, "photo": [{"id": ref["id"]}]})
    assert response.status_code == 201, response.json
    assert response.json["data"]["photo"] == [ref]
    assert session.get(Attachment, ref["id"]).ticket_id is not None

    url = f"/api/v1/attachments/{ref['id']}"
    with client.get(url, headers=requester) as download:
        assert download.data == PNG
    with client.get(url, headers=as_role(Role.AGENT)) as download:
        assert download.status_code == 200
    assert client.get(url, headers=as_role(Role.REQUESTER)).status_code == 404

    reused = _submit(client, requester, {**GOOD, "photo": [{"id": ref["id"]}]})
    assert reused.status_code == 422  # already bound to a ticket


def test_files_of_someone_else_cannot_be_referenced(client, as_role, make_form):
    """A submission may only reference the submitter's own uploads."""
    make_form(simple_form())
    ref = _upload(client, as_role(Role.REQUESTER)).json
    response = _submit(client, as_role(Role.REQUESTER), {**GOOD, "photo": [{"id": ref["id"]}]})
    assert response.status_code == 422
    assert response.json["errors"][0] == {
        "pointer": "/photo/0", "code": "file.missing", "message": response.json["errors"][0][
            "message"]}


def test_files_are_checked_by_content(client, as_role, make_form):
    """HTML named .png is refused; a PDF is stored but refused by an images-only field."""
    make_form(simple_form())
    requester = as_role(Role.REQUESTER)
    disguised = _upload(client, requester, b"<html><script>alert(1)</script></html>", "x.png")
    assert disguised.status_code == 422
    pdf = _upload(client, requester, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "doc.pdf")
    assert pdf.status_code == 201 and pdf.json["type"] == "application/pdf"
    response = _submit(client, requester, {**GOOD, "photo": [{"id": pdf.json["id"]}]})
    assert response.status_code == 422
    assert response.json["errors"][0]["code"] == "file.type"


def test_files_over_the_limit_are_413(app, client, as_role):
    """A file over MAX_FILE_SIZE is 413 and nothing is kept."""
    app.config["MAX_FILE_SIZE"] = 1024
    response = _upload(client, as_role(Role.REQUESTER), b"a" * 4096, "big.txt")
    assert response.status_code == 413 and response.mimetype == PROBLEM
    missing = client.post("/api/v1/attachments", data={}, headers=as_role(Role.REQUESTER))
    assert missing.status_code == 422


def test_hostile_values_are_stored_verbatim(client, as_role, make_form):
    """Markup in values is data: stored as typed, returned as JSON, never interpreted."""
    make_form(simple_form())
    hostile = '<script>alert("x")</script>\u202e"; DROP TABLE tickets;--'
    response = _submit(client, as_role(Role.REQUESTER),
                       {"category": "question", "summary": hostile})
    assert response.status_code == 201
    assert response.json["data"]["summary"] == hostile
