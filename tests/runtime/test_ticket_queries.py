"""Queues, filters, full-text search, cursors, counts, saved views and bulk changes
(runtime/tickets/queries.py, search.py, saved_views.py, bulk.py) on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from builder.forms.models import Form
from core.errors import InvalidSubmission, NotFound
from core.people import Role, User, create_team
from runtime.submissions import submit_ticket
from runtime.tickets import saved_views
from runtime.tickets.bulk import BulkChange, bulk_update
from runtime.tickets.comments import add_comment
from runtime.tickets.models import Priority, Status, Ticket, TicketEvent
from runtime.tickets.numbering import next_ticket_number
from runtime.tickets.queries import (
    COUNT_CAP,
    Queue,
    Sort,
    TicketFilters,
    decode_cursor,
    list_queue,
    queue_counts,
    viewer_scope,
)
from runtime.tickets.search import parse_query, tokens

BASE = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
HOSTILE = ['"', '*', 'AND', 'NEAR(', 'a OR', '"unclosed', "'; DROP TABLE tickets; --", "^",
           "-", "NOT", "(", ")", ":", "{col}:x", "\\", "%", "_", "\x00", "🙂", " " * 50]


@contextmanager
def count_statements(session: Session) -> Iterator[list[str]]:
    """Every SQL statement the session's connection runs inside the block."""
    seen: list[str] = []
    conn = session.connection()

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(conn, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", record)


@pytest.fixture(name="desk")
def desk_fixture(session, make_user, make_form):
    """Two teams with an agent each, an admin, a requester and a published form."""
    make_form()
    blue = create_team(session=session, key="blue", name="Blue")
    red = create_team(session=session, key="red", name="Red")
    session.commit()

    class Desk:
        form = session.scalar(select(Form).where(Form.key == "refund"))
        agent = make_user(Role.AGENT, email="blue-agent@example.com", teams=("blue",))
        other = make_user(Role.AGENT, email="red-agent@example.com", teams=("red",))
        admin = make_user(Role.ADMIN, email="boss@example.com")
        requester = make_user(Role.REQUESTER, email="asker@example.com")
        teams = {"blue": blue, "red": red}
        clock = iter(range(10_000))
        made: list[Ticket] = []

        def ticket(self, subject: str = "Printer jam", *, team: str | None = "blue",
                   assignee: User | None = None, status: Status = Status.OPEN,
                   priority: Priority = Priority.NORMAL, data: dict | None = None) -> Ticket:
            version = self.form.versions[-1]
            ticket = Ticket(
                number=next_ticket_number(session), form_id=self.form.id,
                form_version_id=version.id, form_key="refund", form_version_number=version.number,
                requester_id=self.requester.id, assignee_id=assignee.id if assignee else None,
                team_id=self.teams[team].id if team else None, status=status, priority=priority,
                subject=subject, data=data or {"category": "refund"},
                created_at=BASE + timedelta(minutes=next(self.clock)))
            session.add(ticket)
            session.flush()
            self.made.append(ticket)
            return ticket

    return Desk()


def _numbers(session: Session, viewer: User, **kwargs: Any) -> list[int]:
    cursor = kwargs.pop("cursor", None)
    limit = kwargs.pop("limit", 50)
    page = list_queue(session=session, scope=viewer_scope(session=session, viewer=viewer),
                      filters=TicketFilters(**kwargs), cursor=cursor, limit=limit)
    return [t.number for t in page.tickets]


def test_queues_mine_teams_unassigned_all(session, desk):
    """Each queue holds what its name says, newest first, within what the agent may see."""
    mine = desk.ticket("mine", assignee=desk.agent)
    team_free = desk.ticket("team, nobody yet")
    red = desk.ticket("red team's", team="red")
    red_mine = desk.ticket("red but mine", team="red", assignee=desk.agent)
    loose = desk.ticket("no team yet", team=None)
    agent = desk.agent
    assert _numbers(session, agent, queue=Queue.MINE) == [red_mine.number, mine.number]
    assert _numbers(session, agent, queue=Queue.TEAMS) == [team_free.number, mine.number]
    assert _numbers(session, agent, queue=Queue.UNASSIGNED) == [loose.number, team_free.number]
    everything = _numbers(session, agent, queue=Queue.ALL)
    assert red.number not in everything
    assert set(everything) == {mine.number, team_free.number, red_mine.number, loose.number}
    assert red.number in _numbers(session, desk.admin, queue=Queue.ALL)


def test_agent_never_sees_another_teams_ticket_by_any_filter(session, desk):
    """Filters and search narrow the scope; none widens it."""
    red = desk.ticket("secret red printer", team="red", data={"category": "exchange"})
    for filters in ({"team": "red"}, {"q": "secret"}, {"q": str(red.number)},
                    {"fields": (("category", "exchange"),)}, {"statuses": None}):
        assert _numbers(session, desk.agent, **filters) == [], filters
        assert _numbers(session, desk.other, **filters) == [red.number], filters


def test_filters_status_priority_form_team_assignee(session, desk):
    """Each filter narrows by its column; the names are checked."""
    a = desk.ticket("a", status=Status.PENDING, priority=Priority.URGENT, assignee=desk.agent)
    b = desk.ticket("b", status=Status.CLOSED, priority=Priority.LOW)
    admin = desk.admin
    assert _numbers(session, admin, statuses=(Status.PENDING,)) == [a.number]
    assert _numbers(session, admin, statuses=(Status.CLOSED, Status.PENDING)) == [
        b.number, a.number]
    assert _numbers(session, admin, priorities=(Priority.LOW,)) == [b.number]
    assert _numbers(session, admin, forms=("refund",)) == [b.number, a.number]
    assert _numbers(session, admin, team="blue") == [b.number, a.number]
    assert _numbers(session, admin, team="none") == []
    assert _numbers(session, admin, assignee="blue-agent@example.com") == [a.number]
    assert _numbers(session, desk.agent, assignee="me") == [a.number]
    assert _numbers(session, admin, assignee="none") == [b.number]
    for bad, pointer in (({"forms": ("nope",)}, "/form"), ({"team": "green"}, "/team"),
                         ({"assignee": "ghost@example.com"}, "/assignee")):
        with pytest.raises(InvalidSubmission) as caught:
            _numbers(session, admin, **bad)
        assert caught.value.problems[0].pointer == pointer
        assert caught.value.problems[0].message.startswith("There is no")


def test_field_filter_matches_text_numbers_and_booleans(session, desk):
    """field.<key>=<value> compares the submitted value as text, number or boolean."""
    a = desk.ticket(data={"category": "refund", "amount": 1500, "confirm": True})
    b = desk.ticket(data={"category": "exchange", "amount": "1500", "confirm": False})
    admin = desk.admin
    assert _numbers(session, admin, fields=(("category", "refund"),)) == [a.number]
    assert _numbers(session, admin, fields=(("amount", "1500"),)) == [b.number, a.number]
    assert _numbers(session, admin, fields=(("confirm", "true"),)) == [a.number]
    assert _numbers(session, admin, fields=(("category", "exchange"), ("amount", "1500"))) == [
        b.number]
    assert _numbers(session, admin, fields=(("missing", "x"),)) == []
    with pytest.raises(InvalidSubmission):
        _numbers(session, admin, fields=(("$.x[0]", "1"),))


def test_search_subject_fields_comments_chinese_and_ids(session, desk):
    """Full text finds words of the subject, field values, comments, Chinese and ids."""
    printer = desk.ticket("Printer on fire", data={"order_id": "OD12345678",
                                                   "description": "smoke everywhere"})
    chinese = desk.ticket("打印机坏了", data={"description": "请尽快处理"})
    other = desk.ticket("Password reset")
    add_comment(session=session, ticket=other, author=desk.agent,
                body="The keyboard was unplugged")
    add_comment(session=session, ticket=other, author=desk.agent,
                body="confidential remark", internal=True)
    admin = desk.admin
    assert _numbers(session, admin, q="printer") == [printer.number]
    assert _numbers(session, admin, q="FIRE printer") == [printer.number]
    assert _numbers(session, admin, q="od12345678") == [printer.number]
    assert _numbers(session, admin, q="smoke") == [printer.number]
    assert _numbers(session, admin, q="keyboard") == [other.number]
    assert _numbers(session, admin, q="confidential") == []  # notes are never indexed
    assert _numbers(session, desk.requester, q="confidential") == []
    assert _numbers(session, admin, q="打印机") == [chinese.number]
    assert _numbers(session, admin, q="尽快") == [chinese.number]
    assert _numbers(session, admin, q="印打") == []
    assert _numbers(session, admin, q="printer keyboard") == []
    assert _numbers(session, admin, q=f"#{other.number}") == [other.number]


def test_search_follows_edits(session, desk):
    """Changing the subject or data re-indexes the ticket, keeping its comments."""
    ticket = desk.ticket("Old words")
    add_comment(session=session, ticket=ticket, author=desk.agent, body="kept comment")
    ticket.subject = "Brand new subject"
    session.flush()
    admin = desk.admin
    assert _numbers(session, admin, q="old") == []
    assert _numbers(session, admin, q="brand") == [ticket.number]
    assert _numbers(session, admin, q="kept") == [ticket.number]


def test_search_of_a_submitted_ticket(session, desk):
    """A ticket made by the real submission path is searchable at once."""
    ticket, _created = submit_ticket(session=session, form_key="refund", requester=desk.requester,
                                     data={"category": "refund", "order_id": "OD87654321",
                                           "amount": 20, "description": "Broken kettle",
                                           "email": "a@example.com", "confirm": True})
    session.flush()
    assert _numbers(session, desk.admin, q="kettle") == [ticket.number]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_search_strings_are_plain_text(session, desk, q):
    """Search syntax and odd characters never raise; they match words or nothing."""
    desk.ticket("AND near printer")
    _numbers(session, desk.admin, q=q)  # must not raise


def test_query_parsing_keeps_only_words():
    """Quotes, stars and operators vanish; CJK becomes one token per character."""
    assert parse_query('"printer" AND NEAR(x*') == [["printer"], ["and"], ["near"], ["x"]]
    assert parse_query("打印机 OD1") == [["打", "印", "机"], ["od1"]]
    assert tokens("Snake_case e-mail 3.14") == "snake case e mail 3 14"
    assert len(parse_query("w " * 100)) == 16


def test_cursor_pages_cover_everything_once(session, desk):
    """Keyset pages in both orders list every ticket exactly once, then end."""
    made = [desk.ticket(f"t{i}").number for i in range(7)]
    for sort, expected in ((Sort.NEWEST, made[::-1]), (Sort.OLDEST, made)):
        seen, cursor = [], None
        scope = viewer_scope(session=session, viewer=desk.admin)
        while True:
            page = list_queue(session=session, scope=scope, filters=TicketFilters(sort=sort),
                              cursor=cursor, limit=3)
            seen += [t.number for t in page.tickets]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == expected


def test_same_created_at_is_ordered_by_id(session, desk):
    """Tickets created in the same instant still page without loss (id breaks the tie)."""
    tickets = [desk.ticket(f"same {i}") for i in range(4)]
    for t in tickets:
        t.created_at = BASE
    session.flush()
    first = list_queue(session=session, scope=viewer_scope(session=session, viewer=desk.admin),
                       filters=TicketFilters(), limit=2)
    rest = list_queue(session=session, scope=viewer_scope(session=session, viewer=desk.admin),
                      filters=TicketFilters(), cursor=first.next_cursor, limit=2)
    assert [t.number for t in first.tickets + rest.tickets] == [t.number for t in tickets][::-1]


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "W10", "a" * 300, "%%%",
                                    "WyJvbGRlc3QiLCAiMjAyNi0xMS0wMVQwOTowMDowMCswMDowMCIsIDFd"])
def test_bad_cursors_are_refused_with_a_message(cursor):
    """Anything that is not a cursor of this sort is a 422 problem, never a crash."""
    with pytest.raises(InvalidSubmission) as caught:
        decode_cursor(cursor, Sort.NEWEST)
    assert caught.value.problems[0].pointer == "/cursor"


def test_counts_per_queue_are_capped(session, desk, monkeypatch):
    """Counts show open work per queue and stop at the cap."""
    desk.ticket(assignee=desk.agent)
    desk.ticket()
    desk.ticket(status=Status.CLOSED)
    desk.ticket(team="red")
    scope = viewer_scope(session=session, viewer=desk.agent)
    counts = queue_counts(session=session, scope=scope)
    assert counts == {Queue.MINE: 1, Queue.TEAMS: 2, Queue.UNASSIGNED: 1, Queue.APPROVALS: 0,
                      Queue.ALL: 2}
    monkeypatch.setattr("runtime.tickets.queries.COUNT_CAP", 1)
    assert queue_counts(session=session, scope=scope)[Queue.TEAMS] == 2  # i.e. "1+"
    assert COUNT_CAP >= 1000


def test_list_and_counts_issue_a_fixed_number_of_statements(session, desk, make_user):
    """N+1 guard: a page of 5 and a page of 50 (with assignees, teams, requester and
    attachments read, as the page and the API do) cost the same statements."""
    assignees = [make_user(Role.AGENT, teams=("blue",)) for _ in range(10)]
    measured = []
    for rows in (5, 50):
        while len(desk.made) < rows:
            desk.ticket(f"row {len(desk.made)}", assignee=assignees[len(desk.made) % 10])
        session.expunge_all()
        admin = session.get(User, desk.admin.id)
        with count_statements(session) as seen:
            scope = viewer_scope(session=session, viewer=admin)
            page = list_queue(session=session, scope=scope, filters=TicketFilters(q="row"),
                              limit=50)
            queue_counts(session=session, scope=scope)
            for ticket in page.tickets:
                _ = (ticket.assignee and ticket.assignee.name, ticket.team and ticket.team.name,
                     ticket.requester.email, list(ticket.attachments))
        assert len(page.tickets) == rows
        measured.append(len(seen))
    assert measured[0] == measured[1], measured
    assert measured[0] <= 7, measured  # (jit,) teams, (search ids,) page, attachments, counts


def test_saved_views_are_per_user(session, desk):
    """Save, list by name, replace by name, open only your own, delete."""
    view = saved_views.save_view(session=session, user=desk.agent, name="  Urgent  blue ",
                                 params=[("queue", "teams"), ("priority", "urgent"),
                                         ("cursor", "x"), ("evil", "1"), ("field.amount", "5")])
    assert view.name == "Urgent blue"
    assert view.params == [["queue", "teams"], ["priority", "urgent"], ["field.amount", "5"]]
    again = saved_views.save_view(session=session, user=desk.agent, name="Urgent blue",
                                  params=[("queue", "mine")])
    assert again.id == view.id and again.params == [["queue", "mine"]]
    saved_views.save_view(session=session, user=desk.agent, name="A first", params=[])
    assert [v.name for v in saved_views.list_views(session=session, user=desk.agent)] == [
        "A first", "Urgent blue"]
    assert saved_views.list_views(session=session, user=desk.other) == []
    with pytest.raises(NotFound):
        saved_views.get_view(session=session, user=desk.other, view_id=view.id)
    with pytest.raises(NotFound):
        saved_views.delete_view(session=session, user=desk.other, view_id=view.id)
    with pytest.raises(InvalidSubmission):
        saved_views.save_view(session=session, user=desk.agent, name=" ", params=[])
    with pytest.raises(InvalidSubmission):
        saved_views.save_view(session=session, user=desk.agent, name="x" * 101, params=[])
    saved_views.delete_view(session=session, user=desk.agent, view_id=view.id)
    assert [v.name for v in saved_views.list_views(session=session, user=desk.agent)] == [
        "A first"]


def test_bulk_changes_each_ticket_with_its_own_events(session, desk):
    """Assign to me, status and priority in one go: one event per change per ticket;
    another team's ticket is refused and left alone."""
    a, b = desk.ticket("a", status=Status.NEW), desk.ticket("b", priority=Priority.HIGH)
    red = desk.ticket("red", team="red")
    scope = viewer_scope(session=session, viewer=desk.agent)
    result = bulk_update(session=session, scope=scope, numbers=[a.number, b.number, red.number],
                         change=BulkChange(assignee="me", status=Status.PENDING,
                                           priority=Priority.HIGH))
    assert result.changed == [a.number, b.number] and list(result.refused) == [red.number]
    for ticket in (a, b):
        session.refresh(ticket)
        assert (ticket.assignee_id, ticket.status, ticket.priority) == (
            desk.agent.id, Status.PENDING, Priority.HIGH)
    kinds = {t: sorted(e.kind for e in session.scalars(select(TicketEvent).where(
        TicketEvent.ticket_id == t.id))) for t in (a, b, red)}
    assert kinds[a] == ["assigned", "priority", "status"]
    assert kinds[b] == ["assigned", "status"]
    assert kinds[red] == []
    session.refresh(red)
    assert red.assignee_id is None and red.status == Status.OPEN


def test_bulk_refuses_bad_requests_before_writing(session, desk):
    """No tickets, too many, nothing to change or an unknown person: nothing is written."""
    ticket = desk.ticket()
    scope = viewer_scope(session=session, viewer=desk.agent)
    for numbers, change in (([], BulkChange(status=Status.OPEN)),
                            (list(range(1, 300)), BulkChange(status=Status.OPEN)),
                            ([ticket.number], BulkChange()),
                            ([ticket.number], BulkChange(assignee="ghost@example.com"))):
        with pytest.raises(InvalidSubmission):
            bulk_update(session=session, scope=scope, numbers=numbers, change=change)
    assert session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all() \
        == []


def test_bulk_reports_a_ticket_the_rules_refuse(session, desk):
    """A closed ticket cannot be set to pending: it is reported, the other still changes."""
    closed, fine = desk.ticket(status=Status.CLOSED), desk.ticket()
    scope = viewer_scope(session=session, viewer=desk.admin)
    result = bulk_update(session=session, scope=scope, numbers=[closed.number, fine.number],
                         change=BulkChange(status=Status.PENDING))
    assert result.changed == [fine.number]
    assert "closed" in result.refused[closed.number]
