"""The permission matrix's world, built through the services (fixtures only, no tests).

Two teams (support, billing) with an agent each (and a second support agent who is no
actor), three requesters (one CC'd on a support ticket), a designer and an admin; tickets in
each team's queue, one in no queue, a resolved one, one with an approval task; files on a
submission, a reply and an internal note; a link, a saved view, knowledge-base articles,
notifications, an incident; forms published, archived and never published; a flow.

The module fixture ``matrix`` builds it once per test module on the session's database,
inside one outer transaction; the ``cell`` fixture wraps each test in a savepoint that is
rolled back, so a write allowed in one cell is never seen by the next.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app import create_app
from builder.flows import service as flows
from builder.forms import service as forms
from core.db import Base
from core.people import Role, User, create_team, create_user, issue_token
from runtime.attachments import store_upload
from runtime.flows.models import Incident, OutboxMessage, OutboxStatus, Task, TaskStatus
from runtime.knowledge import service as kb
from runtime.notifications import Notification
from runtime.submissions import submit_ticket
from runtime.tickets import changes
from runtime.tickets.comments import add_comment
from runtime.tickets.models import Attachment, Status, Ticket
from runtime.tickets.saved_views import save_view
from tests.conftest import PASSWORD, csrf_token
from tests.forms_fixtures import PNG, simple_form

#: Every actor of the matrix; ``anonymous`` sends no credentials.
ACTORS = ("anonymous", "requester", "requester_cc", "requester_other", "agent",
          "agent_other_team", "designer", "admin")
EMAILS = {
    "requester": "req@example.com", "requester_cc": "cc@example.com",
    "requester_other": "other@example.com", "agent": "ann@example.com",
    "agent_other_team": "out@example.com", "designer": "dee@example.com",
    "admin": "root@example.com", "colleague": "bob@example.com",
}
ROLES = {"requester": Role.REQUESTER, "requester_cc": Role.REQUESTER,
         "requester_other": Role.REQUESTER, "agent": Role.AGENT,
         "agent_other_team": Role.AGENT, "designer": Role.DESIGNER, "admin": Role.ADMIN,
         "colleague": Role.AGENT}
TEAMS = {"agent": ("support",), "colleague": ("support",), "agent_other_team": ("billing",)}

#: Who may see each ticket of the world: the rule stated independently of the code
#: (admins all; agents their teams', those in no queue and their own; requesters their own
#: and those they are CC'd on; designers their own and CC'd, here none).
SEES: dict[str, frozenset[str]] = {
    "t_support": frozenset({"requester", "requester_cc", "agent", "admin"}),
    "t_billing": frozenset({"requester_other", "agent_other_team", "admin"}),
    "t_unassigned": frozenset({"requester", "agent", "agent_other_team", "admin"}),
    "t_resolved": frozenset({"requester", "agent", "admin"}),
    "t_task": frozenset({"requester", "agent", "admin"}),
}

#: Rows whose change a refused request must not cause (api_tokens are touched by every
#: bearer call, by design: ``last_used_at``).
WATCHED_TABLES = tuple(t for t in Base.metadata.sorted_tables if t.name != "api_tokens")


def approval_flow() -> dict[str, Any]:
    """Tickets of the ``approve`` form wait for ann@ to approve, then resolve."""
    return {
        "formatVersion": 1, "key": "approve-flow", "title": {"en": "Approve"},
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
             "data": {"trigger": "form.submitted", "form": "approve"}},
            {"id": "ok", "type": "approval", "position": {"x": 100, "y": 0},
             "data": {"approvers": [{"kind": "user", "user": EMAILS["agent"]}],
                      "mode": "single"}},
            {"id": "done", "type": "end", "position": {"x": 200, "y": 0},
             "data": {"outcome": "resolved"}},
            {"id": "no", "type": "end", "position": {"x": 200, "y": 100},
             "data": {"outcome": "rejected"}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "ok"},
            {"id": "e2", "source": "ok", "sourceHandle": "approved", "target": "done"},
            {"id": "e3", "source": "ok", "sourceHandle": "rejected", "target": "no"},
        ],
    }


@dataclass
class World:
    """Ids and numbers of what was built (plain values: ORM objects would go stale)."""

    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    tickets: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    task: int = 0
    incident: int = 0
    view: int = 0
    article: int = 0
    draft_article: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """What path and body templates may name: {t_support}, {task}, {file_photo} ..."""
        return {**self.tickets, **{f"file_{k}": v for k, v in self.files.items()},
                **{f"note_{k}": v for k, v in self.notes.items()},
                "task": self.task, "incident": self.incident, "view": self.view,
                "article": self.article, "draft_article": self.draft_article,
                **{f"email_{k}": v for k, v in EMAILS.items()}}


def _upload(s: Session, root: Path, user: User, name: str) -> str:
    return store_upload(session=s, root=root, uploader=user, filename=name,
                        stream=io.BytesIO(PNG), max_size=1 << 20).id


def build_world(s: Session, root: Path) -> World:
    """Build the world through the services and commit it."""
    world = World()
    create_team(session=s, key="support", name="Support")
    create_team(session=s, key="billing", name="Billing")
    people: dict[str, User] = {}
    for name, email in EMAILS.items():
        people[name] = create_user(session=s, email=email, name=name, role=ROLES[name],
                                   password=PASSWORD, team_keys=TEAMS.get(name, ()))
    world.users = {name: user.id for name, user in people.items()}
    world.tokens = {name: issue_token(session=s, user=people[name]) for name in ACTORS[1:]}
    admin, ann = people["admin"], people["agent"]

    for key, publish in (("simple", True), ("approve", True), ("old", True),
                         ("sketch", False)):
        definition = simple_form(key=key, title={"en": f"Form {key}"})
        forms.create_form(session=s, key=key, title=definition["title"], actor=None,
                          definition=definition)
        if publish:
            forms.publish_form(session=s, key=key, actor=None)
    forms.archive_form(session=s, key="old")
    flows.create_flow(session=s, key="approve-flow", title={"en": "Approve"}, actor=None,
                      definition=approval_flow())
    flows.publish_flow(session=s, key="approve-flow", actor=None)

    def ticket(name: str, requester: str, *, form: str = "simple", team: str | None = None,
               assignee: str | None = None, **data: Any) -> Ticket:
        made, _created = submit_ticket(session=s, form_key=form, requester=people[requester],
                                       data={"category": "question",
                                             "summary": f"Printer jammed ({name})", **data})
        if team or assignee:
            changes.update_ticket(session=s, ticket=made, actor=admin, team=team,
                                  assignee=EMAILS[assignee] if assignee else changes.UNSET)
        world.tickets[name] = made.number
        return made

    world.files["photo"] = _upload(s, root, people["requester"], "photo.png")
    support = ticket("t_support", "requester", team="support", assignee="agent",
                     photo=[{"id": world.files["photo"]}])
    billing = ticket("t_billing", "requester_other", team="billing",
                     assignee="agent_other_team")
    unassigned = ticket("t_unassigned", "requester")
    resolved = ticket("t_resolved", "requester", team="support")
    changes.update_ticket(session=s, ticket=resolved, actor=admin, status="resolved")
    task_ticket = ticket("t_task", "requester", form="approve", team="support")

    changes.add_watcher(session=s, ticket=support, actor=ann, email=EMAILS["requester_cc"])
    world.files["reply"] = _upload(s, root, ann, "reply.png")
    world.files["note"] = _upload(s, root, ann, "note.png")
    world.files["loose"] = _upload(s, root, people["requester_other"], "loose.png")
    add_comment(session=s, ticket=support, author=ann, body="We are on it.",
                attachments=[s.get_one(Attachment, world.files["reply"])])
    add_comment(session=s, ticket=support, author=ann, internal=True,
                body=f"Internal: @{EMAILS['colleague']} @{EMAILS['agent_other_team']} look",
                attachments=[s.get_one(Attachment, world.files["note"])])
    add_comment(session=s, ticket=billing, author=people["agent_other_team"],
                body="Billing reply.")
    changes.link_tickets(session=s, ticket=support, actor=admin,
                         other_number=unassigned.number)
    s.flush()
    world.task = s.scalar(select(Task.id).where(Task.ticket_id == task_ticket.id,
                                                Task.status == TaskStatus.OPEN)) or 0
    assert world.task, "the approve flow opened no task"
    world.view = save_view(session=s, user=ann, name="Mine", params=[("queue", "mine")]).id
    article = kb.create_article(session=s, actor=admin, title={"en": "Printer jammed"},
                                body={"en": "Open the tray."})
    kb.set_published(session=s, actor=admin, article_id=article.id)
    world.article = article.id
    world.draft_article = kb.create_article(session=s, actor=admin,
                                            title={"en": "Printer draft"}).id
    message = OutboxMessage(ticket_id=billing.id, effect_key="webhook:pay:r1", kind="webhook",
                            payload={"url": "https://finance.example/x", "body": {}},
                            status=OutboxStatus.DEAD, attempts=5, max_attempts=5,
                            last_error="HTTP 500")
    s.add(message)
    s.flush()
    incident = Incident(outbox_id=message.id, ticket_id=billing.id, error="HTTP 500")
    s.add(incident)
    s.flush()
    world.incident = incident.id
    for name in ("agent", "requester", "requester_cc"):
        world.notes[name] = s.scalar(select(Notification.id).where(
            Notification.user_id == world.users[name]).order_by(Notification.id)) or 0
        assert world.notes[name], f"{name} has no notification"
    s.commit()
    assert {t.status for t in (support, unassigned)} <= {Status.NEW, Status.OPEN}
    return world


def fingerprint(conn: Connection) -> dict[str, str]:
    """A digest of every watched table's rows, to prove that nothing changed."""
    digests: dict[str, str] = {}
    for table in WATCHED_TABLES:
        order = list(table.primary_key.columns) or list(table.columns)
        rows = conn.execute(select(table).order_by(*order)).all()
        digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The tables whose rows differ."""
    return sorted(name for name in before if before[name] != after[name])


@dataclass
class Matrix:
    """The app, the world, each actor's browser and API headers, and the connection."""

    conn: Connection
    app: Flask
    world: World
    browsers: dict[str, FlaskClient]
    csrf: dict[str, str]
    #: The world's fingerprint: every cell starts from it (each is rolled back).
    baseline: dict[str, str]

    def headers(self, actor: str) -> dict[str, str]:
        """Bearer headers (none for anonymous)."""
        token = self.world.tokens.get(actor)
        return {"Authorization": f"Bearer {token}"} if token else {}

    def api(self) -> FlaskClient:
        """A client without cookies, for bearer calls."""
        return self.app.test_client()


@pytest.fixture(scope="module", name="matrix")
def matrix_fixture(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """One app and one world for the module, rolled back at its end."""
    root = tmp_path_factory.mktemp("uploads")
    with engine.connect() as conn:
        outer = conn.begin()
        factory = sessionmaker(bind=conn, join_transaction_mode="create_savepoint",
                               expire_on_commit=False)
        app = create_app({"TESTING": True, "UPLOAD_ROOT": str(root),
                          "RATELIMIT_ENABLED": False,
                          "REDIS_URL": os.environ.get("REDIS_URL") or None},
                         session_factory=factory)
        with factory() as s:
            world = build_world(s, root)
        browsers: dict[str, FlaskClient] = {}
        tokens: dict[str, str] = {}
        for actor in ACTORS:
            client = app.test_client()
            if actor != "anonymous":
                response = client.post("/login", data={
                    "email": EMAILS[actor], "password": PASSWORD,
                    "csrf_token": csrf_token(client)})
                assert response.status_code == 302, actor
            browsers[actor] = client
            tokens[actor] = csrf_token(client, "/login")
        yield Matrix(conn, app, world, browsers, tokens, fingerprint(conn))
        outer.rollback()


@pytest.fixture(name="cell")
def cell_fixture(matrix: Matrix) -> Iterator[Matrix]:
    """The matrix inside a savepoint that is rolled back after the test."""
    savepoint = matrix.conn.begin_nested()
    try:
        yield matrix
    finally:
        savepoint.rollback()


def numbers_linked(html: str, prefix: str) -> set[int]:
    """Ticket numbers a page links to under ``prefix`` (/portal/tickets or /workspace/tickets)."""
    return {int(n) for n in re.findall(rf'href="{re.escape(prefix)}/([0-9]+)"', html)}
