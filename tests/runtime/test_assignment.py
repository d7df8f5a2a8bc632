"""Assignment: the pure choice rules, then assign_ticket on a real database."""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, event, select
from sqlalchemy.orm import Session

from builder.forms.models import Form, FormVersion
from core.db import make_sessionmaker
from core.people import Role, Team, TeamMember, User, create_team, create_user
from runtime.assignment import (
    AssignmentResult,
    Candidate,
    assign_ticket,
    choose_assignee,
    choose_assignment,
    is_available,
    map_keys,
    normalize_tags,
    required_skills,
    rotation,
)
from runtime.audit import AuditEntry
from runtime.flows.models import TeamCursor
from runtime.submissions import published_version
from runtime.tickets.models import Status, Ticket
from runtime.tickets.numbering import next_ticket_number

MEMBER_STRATEGIES = ("round_robin", "least_loaded", "skills")


# --- the pure rules -------------------------------------------------------------------------


def c(user_id: int, *, available: bool = True, load: int = 0, skills: str = "") -> Candidate:
    """A candidate; skills as a comma-separated string."""
    return Candidate(user_id, available, load, frozenset(filter(None, skills.split(","))))


def test_rotation_starts_after_the_cursor_and_wraps():
    """Members are taken by user id from just after the cursor, wrapping to the lowest."""
    ids = [c(5), c(1), c(3)]
    assert [x.user_id for x in rotation(ids, None)] == [1, 3, 5]
    assert [x.user_id for x in rotation(ids, 3)] == [5, 1, 3]
    assert [x.user_id for x in rotation(ids, 5)] == [1, 3, 5]
    assert [x.user_id for x in rotation(ids, 2)] == [3, 5, 1]  # the cursor left the team


def test_choose_round_robin_takes_the_next_available_after_the_cursor():
    """Round robin skips unavailable members and starts at the lowest id without a cursor."""
    team = [c(1), c(2, available=False), c(3), c(4)]
    assert choose_assignee(team, strategy="round_robin") == 1
    assert choose_assignee(team, strategy="round_robin", last_user_id=1) == 3
    assert choose_assignee(team, strategy="round_robin", last_user_id=4) == 1
    assert choose_assignee(team, strategy="round_robin", last_user_id=99) == 1


def test_choose_least_loaded_picks_the_minimum_and_breaks_ties_by_turn():
    """Least loaded picks the smallest load; among equals, whoever is next after the cursor."""
    team = [c(1, load=2), c(2, load=1), c(3, load=1), c(4, load=0, available=False)]
    assert choose_assignee(team, strategy="least_loaded") == 2
    assert choose_assignee(team, strategy="least_loaded", last_user_id=2) == 3
    assert choose_assignee(team, strategy="least_loaded", last_user_id=3) == 2


def test_choose_skills_needs_every_tag_case_insensitively_then_least_loaded():
    """Skills keeps members with all required tags (any case), then picks the least loaded."""
    team = [c(1, skills="Laptop", load=0), c(2, skills="laptop,ZH", load=3),
            c(3, skills="zh,laptop,vpn", load=1), c(4, skills="laptop,zh", available=False)]
    assert choose_assignee(team, strategy="skills", required_skills=["LAPTOP", " zh"]) == 3
    assert choose_assignee(team, strategy="skills", required_skills=["laptop"]) == 1
    assert choose_assignee(team, strategy="skills", required_skills=[]) == 1
    assert choose_assignee(team, strategy="skills", required_skills=["printer"]) is None


def test_choose_returns_none_without_available_members():
    """No available member (or no member at all) means nobody is chosen."""
    for strategy in MEMBER_STRATEGIES:
        assert choose_assignee([c(1, available=False)], strategy=strategy) is None
        assert choose_assignee([], strategy=strategy) is None


def test_choose_rejects_strategies_that_do_not_pick_members():
    """user, team and field_map are not member choices; asking for them is a bug."""
    for strategy in ("user", "team", "field_map", "random"):
        with pytest.raises(ValueError):
            choose_assignee([c(1)], strategy=strategy)


def test_is_available_needs_agent_or_admin_active_and_present():
    """Only active agents and admins who are not away are available."""
    assert is_available(role="agent", active=True, away=False)
    assert is_available(role=Role.ADMIN, active=True, away=False)
    assert not is_available(role="agent", active=False, away=False)
    assert not is_available(role="agent", active=True, away=True)
    assert not is_available(role="requester", active=True, away=False)
    assert not is_available(role="designer", active=True, away=False)


def test_required_skills_reads_literal_tags_and_field_values():
    """Tags come as strings or {"field": key} whose data value is a tag or a list of tags."""
    data = {"device": "Laptop", "langs": ["ZH", "en"], "empty": None}
    assert required_skills(["vpn", {"field": "device"}], data) == {"vpn", "laptop"}
    assert required_skills({"field": "langs"}, data) == {"zh", "en"}
    assert required_skills([{"field": "missing"}, {"field": "empty"}], data) == set()
    assert required_skills(None, data) == set()
    assert required_skills("printer", data) == {"printer"}


def test_normalize_tags_strips_folds_and_drops_non_tags():
    """Tags are stripped and case-folded; blanks, booleans and structures are dropped."""
    assert normalize_tags([" ZH ", "zh", "", 7, True, None, ["x"], {"a": 1}]) == {"zh", "7"}


def test_map_keys_turns_field_values_into_map_keys():
    """Field values match map keys as text; lists try each element in order."""
    assert map_keys("hw") == ["hw"]
    assert map_keys(True) == ["true"]
    assert map_keys(3) == ["3"]
    assert map_keys(3.0) == ["3", "3.0"]
    assert map_keys(["b", "a"]) == ["b", "a"]
    assert map_keys(None) == [] and map_keys({"x": 1}) == []


candidate_lists = st.lists(
    st.builds(Candidate, user_id=st.integers(1, 40), available=st.booleans(),
              load=st.integers(0, 5),
              skills=st.frozensets(st.sampled_from(["a", "B", "c"]), max_size=3)),
    max_size=8, unique_by=lambda x: x.user_id)


@settings(max_examples=300, deadline=None)
@given(candidate_lists, st.sampled_from(MEMBER_STRATEGIES), st.none() | st.integers(0, 41),
       st.frozensets(st.sampled_from(["a", "b", "C"]), max_size=2))
def test_choose_never_picks_an_unavailable_agent(candidates, strategy, cursor, tags):
    """Whatever the strategy, the choice is an available candidate or None when there is none."""
    chosen = choose_assignee(candidates, strategy=strategy, last_user_id=cursor,
                             required_skills=tags)
    available = {x.user_id for x in candidates if x.available}
    if chosen is None:
        assert strategy == "skills" or not available
    else:
        assert chosen in available


@settings(max_examples=300, deadline=None)
@given(candidate_lists, st.none() | st.integers(0, 41))
def test_round_robin_visits_every_available_member_once_before_repeating(candidates, cursor):
    """Following the cursor, n turns give each of the n available members exactly one ticket."""
    available = [x.user_id for x in candidates if x.available]
    turns = []
    for _ in range(2 * len(available)):
        cursor = choose_assignee(candidates, strategy="round_robin", last_user_id=cursor)
        turns.append(cursor)
    n = len(available)
    assert sorted(turns[:n]) == sorted(available)
    assert turns[n:] == turns[:n]


@settings(max_examples=300, deadline=None)
@given(candidate_lists, st.none() | st.integers(0, 41))
def test_least_loaded_picks_a_minimum(candidates, cursor):
    """Least loaded picks an available member whose load no available member undercuts."""
    chosen = choose_assignee(candidates, strategy="least_loaded", last_user_id=cursor)
    loads = {x.user_id: x.load for x in candidates if x.available}
    assert (chosen is None) == (not loads)
    if chosen is not None:
        assert loads[chosen] == min(loads.values())


@settings(max_examples=300, deadline=None)
@given(candidate_lists, st.frozensets(st.sampled_from(["a", "b", "C"]), max_size=3))
def test_skills_picks_only_agents_having_all_tags(candidates, tags):
    """Skills picks an available member holding every tag, the least loaded such, else None."""
    chosen = choose_assignee(candidates, strategy="skills", required_skills=tags)
    wanted = {t.lower() for t in tags}
    fit = {x.user_id: x.load for x in candidates
           if x.available and wanted <= {s.lower() for s in x.skills}}
    assert (chosen is None) == (not fit)
    if chosen is not None:
        assert fit[chosen] == min(fit.values())


# --- assign_ticket on the database -------------------------------------------------------------


@pytest.fixture
def person(session: Session) -> Callable[..., User]:
    """Create a user without a password (hashing is slow): person(role, email, teams=...)."""
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.AGENT, email: str | None = None, *,
             teams: tuple[str, ...] = (), lead: bool = False) -> User:
        email = email or f"{role}{next(counter)}@x.test"
        return create_user(session=session, email=email, name=email.split("@")[0], role=role,
                           team_keys=teams, lead=lead)

    return make


@pytest.fixture
def make_ticket(session: Session, make_form: Callable[..., Any],
                person: Callable[..., User]) -> Callable[..., Ticket]:
    """Create a ticket directly: make_ticket(data={...}, status=..., assignee=user)."""
    make_form()
    version = published_version(session=session, key="refund")
    requester = person(Role.REQUESTER)

    def make(data: dict[str, Any] | None = None, status: Status = Status.NEW,
             assignee: User | None = None) -> Ticket:
        ticket = Ticket(
            number=next_ticket_number(session), form_id=version.form_id,
            form_version_id=version.version_id, form_key=version.form_key,
            form_version_number=version.number, requester_id=requester.id, subject="t",
            data=data or {}, status=status, assignee_id=assignee.id if assignee else None)
        session.add(ticket)
        session.flush()
        return ticket

    return make


@pytest.fixture
def make_team(session: Session) -> Callable[[str], Team]:
    """Create a team by key."""
    return lambda key: create_team(session=session, key=key, name=key.title())


@pytest.fixture
def agents(session: Session, make_team: Callable[[str], Team],
           person: Callable[..., User]) -> list[User]:
    """Team "desk": three available agents plus an away agent, an inactive one, a requester."""
    make_team("desk")
    ann, bob, cat, away, gone = (person(Role.AGENT, f"{n}@x.test", teams=("desk",))
                                 for n in ("ann", "bob", "cat", "away", "gone"))
    person(Role.REQUESTER, "req@x.test", teams=("desk",))
    away.away = True
    gone.active = False
    session.flush()
    return [ann, bob, cat]


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


def assign(session: Session, ticket: Ticket, strategy: str, **params: Any) -> AssignmentResult:
    """assign_ticket with the ticket's data."""
    return assign_ticket(session=session, ticket=ticket, strategy=strategy, params=params,
                         data=ticket.data)


def test_assign_user_sets_the_assignee_and_keeps_the_team(session, make_ticket, make_team,
                                                          person):
    """Strategy user assigns that active user (even if away) and leaves the team as it was."""
    team = make_team("desk")
    bob = person(Role.AGENT, "bob@x.test")
    bob.away = True
    ticket = make_ticket()
    ticket.team_id = team.id
    result = assign(session, ticket, "user", user="BOB@x.test")
    assert (result.user_id, result.team_id) == (bob.id, team.id)
    assert (ticket.assignee_id, ticket.team_id) == (bob.id, team.id)
    assert "bob@x.test" in result.reason and "away" in result.reason


def test_assign_user_unknown_or_inactive_leaves_it_unassigned(session, make_ticket, person):
    """An unknown or inactive user gives no assignee, the team unchanged, and says why."""
    old = person(Role.AGENT, "old@x.test")
    gone = person(Role.AGENT, "gone@x.test")
    gone.active = False
    ticket = make_ticket(assignee=old)
    result = assign(session, ticket, "user", user="nobody@x.test")
    assert result == AssignmentResult(None, None, result.reason)
    assert "nobody@x.test" in result.reason and ticket.assignee_id is None
    result = assign(session, ticket, "user", user="gone@x.test")
    assert result.user_id is None and "inactive" in result.reason


def test_assign_team_queues_without_a_user(session, make_ticket, agents):
    """Strategy team puts the ticket in the team's queue and clears any assignee."""
    ticket = make_ticket(assignee=agents[0])
    result = assign(session, ticket, "team", team="desk")
    team_id = session.scalar(select(Team.id).where(Team.key == "desk"))
    assert (result.user_id, result.team_id) == (None, team_id)
    assert (ticket.assignee_id, ticket.team_id) == (None, team_id)


def test_assign_unknown_team_or_strategy_leaves_the_ticket_unchanged(session, make_ticket,
                                                                     agents):
    """A team key or strategy that does not exist changes nothing and says so."""
    ticket = make_ticket(assignee=agents[1])
    for strategy, params in (("round_robin", {"team": "nope"}), ("team", {}),
                             ("dice", {"team": "desk"})):
        result = assign(session, ticket, strategy, **params)
        assert (result.user_id, result.team_id) == (agents[1].id, None)
        assert "unchanged" in result.reason
        assert ticket.assignee_id == agents[1].id


def test_assign_round_robin_takes_turns_among_available_members(session, make_ticket, agents):
    """Round robin cycles through available agents only, remembering the turn in the cursor."""
    chosen = [assign(session, make_ticket(), "round_robin", team="desk").user_id
              for _ in range(6)]
    ids = [a.id for a in agents]
    assert chosen == ids + ids
    team_id = session.scalar(select(Team.id).where(Team.key == "desk"))
    assert session.get_one(TeamCursor, team_id).last_user_id == ids[-1]


def test_assign_round_robin_in_sql_follows_the_pure_rotation(session, make_ticket, agents,
                                                             person):
    """The one-statement round robin picks what choose_assignee picks, whoever is away,
    inactive or not an agent, from any cursor position."""
    desk = session.scalar(select(Team).where(Team.key == "desk"))
    requester = person(Role.REQUESTER, "member-requester@x.test")
    session.add(TeamMember(team=desk, user=requester))
    members = [*agents, requester]
    rnd = random.Random(7)
    for _ in range(25):
        for user in agents:
            user.away, user.active = rnd.random() < 0.4, rnd.random() < 0.8
        session.flush()
        before = session.scalar(select(TeamCursor.last_user_id)
                                .where(TeamCursor.team_id == desk.id))
        expected = choose_assignee(
            [Candidate(u.id, is_available(role=u.role, active=u.active, away=u.away))
             for u in members], strategy="round_robin", last_user_id=before)
        result = assign(session, make_ticket(), "round_robin", team="desk")
        assert result.user_id == expected


def test_assign_least_loaded_counts_only_new_open_and_pending(session, make_ticket, agents):
    """Least loaded counts each agent's new/open/pending tickets; resolved and closed don't."""
    ann, bob, cat = agents
    for status in (Status.NEW, Status.OPEN, Status.PENDING):
        make_ticket(status=status, assignee=ann)
    make_ticket(status=Status.OPEN, assignee=bob)
    for status in (Status.RESOLVED, Status.CLOSED, Status.OPEN):
        make_ticket(status=status, assignee=cat)
    make_ticket(status=Status.PENDING, assignee=cat)
    result = assign(session, make_ticket(), "least_loaded", team="desk")
    assert result.user_id == bob.id and "open tickets: 1" in result.reason
    # now bob and cat have 2 each: the tie goes to the next in turn after bob
    assert assign(session, make_ticket(), "least_loaded", team="desk").user_id == cat.id


def test_assign_least_loaded_does_not_count_the_ticket_itself(session, make_ticket, agents):
    """Reassigning a ticket does not weigh it against its current assignee."""
    ann, bob, _cat = agents
    make_ticket(assignee=bob)
    make_ticket(assignee=agents[2])
    ticket = make_ticket(assignee=ann)
    assert assign(session, ticket, "least_loaded", team="desk").user_id == ann.id


def test_assign_least_loaded_loads_with_a_fixed_number_of_queries(
        session, connection: Connection, make_ticket, make_team, person):
    """The load is one aggregate query: statement count does not grow with the team."""
    counts = []
    for key, size in (("small", 2), ("large", 8)):
        make_team(key)
        for _ in range(size):
            person(Role.AGENT, teams=(key,))
        ticket = make_ticket()
        with count_statements(connection) as statements:
            choose_assignment(session=session, ticket=ticket, strategy="least_loaded",
                              params={"team": key}, data={})
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 7, counts


def test_assign_writes_the_ticket_at_once_with_its_audit_entry(session, make_ticket, person):
    """The assignee is stored by one UPDATE (revision moved on, object as loaded), and the
    trail records the change as the flush would have."""
    bob = person(Role.AGENT, "bob@x.test")
    ticket = make_ticket()
    revision = ticket.revision
    assign(session, ticket, "user", user="bob@x.test")
    assert not session.dirty
    stored = session.execute(select(Ticket.assignee_id, Ticket.revision)
                             .where(Ticket.id == ticket.id)).one()
    assert tuple(stored) == (bob.id, revision + 1) == (ticket.assignee_id, ticket.revision)
    assert ticket.assignee == bob
    entry = session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "ticket", AuditEntry.entity_id == str(ticket.number),
        AuditEntry.action == "update")).one()
    assert (entry.before, entry.after) == ({"assignee_id": None}, {"assignee_id": bob.id})


def test_assign_skills_matches_tags_from_params_and_data(session, make_ticket, agents):
    """Skills takes literal tags and data fields, matches them case-insensitively."""
    ann, bob, cat = agents
    ann.skills, bob.skills, cat.skills = ["Laptop"], ["laptop", "ZH"], ["zh"]
    session.flush()
    ticket = make_ticket(data={"langs": ["zh"]})
    result = assign(session, ticket, "skills", team="desk",
                    skills=["LAPTOP", {"field": "langs"}])
    assert result.user_id == bob.id and "laptop, zh" in result.reason
    ticket = make_ticket(data={"lang": "ZH"})
    assert assign(session, ticket, "skills", team="desk",
                  skills={"field": "lang"}).user_id in {bob.id, cat.id}


def test_assign_skills_without_a_match_queues_for_the_team(session, make_ticket, agents):
    """When no available member has all the tags, the ticket goes to the team's queue."""
    agents[0].skills = ["printer"]
    session.flush()
    result = assign(session, make_ticket(assignee=agents[1]), "skills", team="desk",
                    skills=["printer", "vpn"])
    assert result.user_id is None and result.team_id is not None
    assert "no available member" in result.reason and "printer, vpn" in result.reason


def test_assign_without_available_members_queues_for_the_team(session, make_ticket, agents):
    """A team whose members are all away, inactive or not agents gets the ticket unassigned."""
    for agent in agents:
        agent.away = True
    session.flush()
    for strategy in MEMBER_STRATEGIES:
        ticket = make_ticket(assignee=agents[0])
        result = assign(session, ticket, strategy, team="desk")
        assert result.user_id is None and ticket.assignee_id is None
        assert ticket.team_id == result.team_id is not None
        assert "no available member of team desk" in result.reason


def test_assign_field_map_routes_by_value(session, make_ticket, make_team, agents):
    """field_map sends a value to a team's queue, or applies a strategy inside that team."""
    hw = make_team("hardware")
    desk_id = session.scalar(select(Team.id).where(Team.key == "desk"))
    params = {"field": "category",
              "map": {"hw": "hardware", "sw": {"team": "desk", "strategy": "round_robin"}},
              "fallback": "hardware"}
    result = assign(session, make_ticket(data={"category": "hw"}), "field_map", **params)
    assert (result.user_id, result.team_id) == (None, hw.id)
    assert result.reason.startswith("category='hw'")
    result = assign(session, make_ticket(data={"category": "sw"}), "field_map", **params)
    assert (result.user_id, result.team_id) == (agents[0].id, desk_id)
    result = assign(session, make_ticket(data={"category": ["x", "sw"]}), "field_map", **params)
    assert (result.user_id, result.team_id) == (agents[1].id, desk_id)


def test_assign_field_map_falls_back_or_leaves_unchanged(session, make_ticket, make_team):
    """An unmapped value goes to the fallback team's queue; without a fallback nothing changes."""
    hw = make_team("hardware")
    params: dict[str, Any] = {"field": "category", "map": {"hw": "hardware"}}
    result = assign(session, make_ticket(data={"category": "other"}), "field_map",
                    **params, fallback="hardware")
    assert (result.user_id, result.team_id) == (None, hw.id)
    assert "no map entry" in result.reason
    ticket = make_ticket(data={})
    result = assign(session, ticket, "field_map", **params)
    assert (result.user_id, result.team_id) == (None, None) and "unchanged" in result.reason
    nested = {"field": "category", "map": {"x": {"strategy": "field_map"}}}
    result = assign(session, make_ticket(data={"category": "x"}), "field_map", **nested)
    assert "invalid entry" in result.reason


# --- concurrency: real transactions on PostgreSQL -----------------------------------------------


@pytest.fixture
def committed_team(engine: Engine) -> Iterator[tuple[list[int], list[int]]]:
    """A committed team of 4 agents and 20 unassigned tickets; every row deleted afterwards."""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks between concurrent transactions need PostgreSQL")
    factory = make_sessionmaker(engine)
    tag = uuid.uuid4().hex[:10]
    with factory() as session:
        team = create_team(session=session, key=f"rr-{tag}", name="Concurrency")
        agents = [create_user(session=session, email=f"a{i}-{tag}@x.test", name=f"a{i}",
                              role=Role.AGENT, team_keys=(team.key,)) for i in range(4)]
        requester = create_user(session=session, email=f"r-{tag}@x.test", name="r",
                                role=Role.REQUESTER)
        form = Form(key=f"f-{tag}", title={"en": "f"}, draft={})
        version = FormVersion(form=form, number=1, definition={}, schema={}, hash="0" * 64)
        session.add_all([form, version])
        session.flush()
        tickets = [Ticket(number=next_ticket_number(session), form_id=form.id,
                          form_version_id=version.id, form_key=form.key, form_version_number=1,
                          requester_id=requester.id, subject="t", data={})
                   for _ in range(20)]
        session.add_all(tickets)
        session.commit()
        ids = (team.id, form.id, [u.id for u in [*agents, requester]])
        handles = ([u.id for u in agents], [t.id for t in tickets])
    try:
        yield handles
    finally:
        team_id, form_id, user_ids = ids
        with factory() as session:
            session.execute(delete(Ticket).where(Ticket.form_id == form_id))
            session.execute(delete(FormVersion).where(FormVersion.form_id == form_id))
            session.execute(delete(Form).where(Form.id == form_id))
            session.execute(delete(TeamCursor).where(TeamCursor.team_id == team_id))
            session.execute(delete(TeamMember).where(TeamMember.team_id == team_id))
            session.execute(delete(Team).where(Team.id == team_id))
            session.execute(delete(User).where(User.id.in_(user_ids)))
            session.commit()


@pytest.mark.parametrize("strategy", ["round_robin", "least_loaded"])
def test_assign_concurrent_transactions_never_share_a_turn(engine, committed_team, strategy):
    """20 tickets assigned by 10 concurrent transactions spread 5-5-5-5 over 4 agents."""
    agent_ids, ticket_ids = committed_team
    factory = make_sessionmaker(engine)
    with factory() as session:
        team_key = session.scalars(select(Team.key).join(TeamMember).where(
            TeamMember.user_id == agent_ids[0])).one()
    start = threading.Barrier(10)

    def work(chunk: list[int]) -> list[int | None]:
        chosen = []
        for n, ticket_id in enumerate(chunk):
            with factory() as session:
                ticket = session.get_one(Ticket, ticket_id)
                if n == 0:
                    start.wait(timeout=30)
                result = assign_ticket(session=session, ticket=ticket, strategy=strategy,
                                       params={"team": team_key}, data={})
                session.commit()
                chosen.append(result.user_id)
        return chosen

    with ThreadPoolExecutor(max_workers=10) as pool:
        chunks = [ticket_ids[i::10] for i in range(10)]
        chosen = [u for part in pool.map(work, chunks) for u in part]
    assert Counter(chosen) == dict.fromkeys(agent_ids, 5)
    with factory() as session:
        stored = Counter(session.scalars(select(Ticket.assignee_id).where(
            Ticket.id.in_(ticket_ids))))
    assert stored == dict.fromkeys(agent_ids, 5)
