"""DbDirectory: approver selectors and escalation targets resolved against the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event
from sqlalchemy.orm import Session

from core.people import Role, User, create_team, create_user
from runtime.directory import DbDirectory
from runtime.engine import Context, Directory


@contextmanager
def count_statements(connection: Connection) -> Iterator[list[str]]:
    """Collect the SQL statements sent on ``connection`` inside the block."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


@pytest.fixture
def person(session: Session) -> Callable[..., User]:
    """Create a user without a password: person(email, role=..., teams=..., lead=...)."""

    def make(email: str, role: Role = Role.AGENT, *, teams: tuple[str, ...] = (),
             lead: bool = False, active: bool = True, manager: User | None = None) -> User:
        user = create_user(session=session, email=email, name=email.split("@")[0], role=role,
                           team_keys=teams, lead=lead)
        user.active = active
        user.manager_id = manager.id if manager else None
        session.flush()
        return user

    return make


@pytest.fixture
def world(session: Session, person: Callable[..., User]) -> dict[str, User]:
    """Team "desk" (leads lea, leo; members ann, zed; inactive lead old), a boss, a requester."""
    create_team(session=session, key="desk", name="Desk")
    create_team(session=session, key="other", name="Other")
    boss = person("boss@x.test", Role.ADMIN)
    people = {
        "boss": boss,
        "lea": person("lea@x.test", teams=("desk",), lead=True),
        "leo": person("leo@x.test", teams=("desk",), lead=True),
        "old": person("old@x.test", teams=("desk",), lead=True, active=False),
        "zed": person("zed@x.test", teams=("desk",)),
        "ann": person("ann@x.test", teams=("desk",)),
        "gone": person("gone@x.test", active=False),
        "req": person("req@x.test", Role.REQUESTER, manager=boss),
    }
    return people


def directory(session: Session, world: dict[str, User], who: str = "req") -> DbDirectory:
    """A directory for a requester from the world."""
    return DbDirectory(session, world[who])


def test_user_selector_names_active_users_only(session, world):
    """A user selector names that user (email case-insensitive) if they exist and are active."""
    d = directory(session, world)
    assert d.approvers([{"kind": "user", "user": "LEA@x.test"}], {}) == ["lea@x.test"]
    assert d.approvers([{"kind": "user", "user": "gone@x.test"}], {}) == []
    assert d.approvers([{"kind": "user", "user": "nobody@x.test"}], {}) == []
    assert d.approvers([{"kind": "user"}], {}) == []


def test_team_selector_names_active_members_leads_first(session, world):
    """A team selector names active members, leads first, then by email; leads=true: only leads."""
    d = directory(session, world)
    everyone = ["lea@x.test", "leo@x.test", "ann@x.test", "zed@x.test"]
    assert d.approvers([{"kind": "team", "team": "desk"}], {}) == everyone
    assert d.approvers([{"kind": "team", "team": "desk", "leads": False}], {}) == everyone
    assert d.approvers([{"kind": "team", "team": "desk", "leads": True}], {}) == [
        "lea@x.test", "leo@x.test"]
    assert d.approvers([{"kind": "team", "team": "other"}], {}) == []
    assert d.approvers([{"kind": "team", "team": "nope"}], {}) == []


def test_role_selector_names_active_users_of_that_role_by_email(session, world, person):
    """A role selector names the active users with that role, ordered by email."""
    person("aaa@x.test", Role.ADMIN)
    person("zzz@x.test", Role.ADMIN, active=False)
    d = directory(session, world)
    assert d.approvers([{"kind": "role", "role": "admin"}], {}) == ["aaa@x.test", "boss@x.test"]
    assert d.approvers([{"kind": "role", "role": "designer"}], {}) == []


def test_field_selector_names_existing_active_users_in_data_order(session, world):
    """A field selector reads an email or a list of emails from the data, keeping its order."""
    d = directory(session, world)
    data = {"one": " Zed@x.test ", "many": ["zed@x.test", "gone@x.test", "x@y.z", "ann@x.test"],
            "number": 5}
    assert d.approvers([{"kind": "field", "field": "one"}], data) == ["zed@x.test"]
    assert d.approvers([{"kind": "field", "field": "many"}], data) == ["zed@x.test",
                                                                       "ann@x.test"]
    assert d.approvers([{"kind": "field", "field": "number"}], data) == []
    assert d.approvers([{"kind": "field", "field": "missing"}], data) == []


def test_manager_selector_names_the_requesters_active_manager(session, world, person):
    """The manager selector names the requester's manager, if any and active."""
    assert directory(session, world).approvers([{"kind": "manager"}], {}) == ["boss@x.test"]
    assert directory(session, world, "ann").approvers([{"kind": "manager"}], {}) == []
    orphan = person("orphan@x.test", Role.REQUESTER, manager=world["gone"])
    assert DbDirectory(session, orphan).approvers([{"kind": "manager"}], {}) == []


def test_requester_selector_names_the_requester(session, world):
    """The requester selector (notify recipients) names the ticket's requester."""
    assert directory(session, world).approvers([{"kind": "requester"}], {}) == ["req@x.test"]


def test_unknown_selector_kind_names_nobody(session, world):
    """A selector of an unknown kind is ignored rather than failing the flow step."""
    assert directory(session, world).approvers([{"kind": "astrologer"}], {}) == []


def test_approvers_union_keeps_first_order_without_duplicates(session, world):
    """Several selectors give their union in order of first mention, each email once."""
    d = directory(session, world)
    selectors = [{"kind": "user", "user": "zed@x.test"}, {"kind": "team", "team": "desk"},
                 {"kind": "manager"}, {"kind": "field", "field": "who"},
                 {"kind": "role", "role": "admin"}, {"kind": "requester"}]
    assert d.approvers(selectors, {"who": ["req@x.test", "lea@x.test"]}) == [
        "zed@x.test", "lea@x.test", "leo@x.test", "ann@x.test", "boss@x.test", "req@x.test"]


def test_approvers_use_at_most_one_query_per_selector(session, connection: Connection, world):
    """Resolving costs one query per selector (none for the requester), whatever the team size."""
    d = directory(session, world)
    selectors = [{"kind": "user", "user": "zed@x.test"}, {"kind": "team", "team": "desk"},
                 {"kind": "role", "role": "agent"}, {"kind": "field", "field": "who"},
                 {"kind": "manager"}, {"kind": "requester"}]
    session.flush()
    with count_statements(connection) as statements:
        d.approvers(selectors, {"who": ["ann@x.test", "lea@x.test"]})
    assert len(statements) == 5, statements


def test_escalation_goes_to_the_active_manager_first(session, world, person):
    """A task held by someone with an active manager escalates to that manager."""
    person("sub@x.test", teams=("desk",), manager=world["boss"])
    assert directory(session, world).escalation_target("SUB@x.test") == "boss@x.test"


def test_escalation_without_manager_goes_to_another_lead_of_their_team(session, world, person):
    """Without an active manager, a task escalates to an active lead of their team, not to them."""
    d = directory(session, world)
    assert d.escalation_target("zed@x.test") == "lea@x.test"
    assert d.escalation_target("lea@x.test") == "leo@x.test"
    person("x@x.test", teams=("desk",), manager=world["gone"])
    assert d.escalation_target("x@x.test") == "lea@x.test"


def test_escalation_has_no_target_without_manager_or_other_lead(session, world, person):
    """No manager and no other active lead in their teams, or an unknown email: None."""
    d = directory(session, world)
    person("solo@x.test", teams=("other",), lead=True)
    assert d.escalation_target("solo@x.test") is None
    assert d.escalation_target("boss@x.test") is None
    assert d.escalation_target("nobody@x.test") is None


def test_db_directory_serves_the_engine_context(session, world):
    """DbDirectory fits the engine's Directory protocol and Context."""
    d: Directory = directory(session, world)
    ctx = Context(now=datetime(2025, 1, 1, tzinfo=UTC), data={}, directory=d)
    assert ctx.directory.approvers([{"kind": "manager"}], ctx.data) == ["boss@x.test"]
