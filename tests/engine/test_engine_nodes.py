"""Node types other than approvals: start/end, assign, exclusive, actions, tasks, waits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import IllegalTransition
from runtime.engine import (
    Assign,
    CallWebhook,
    CreateTask,
    Event,
    Finish,
    Lookup,
    Notify,
    Record,
    SetTicket,
)
from runtime.engine.nodes import registered_types
from tests.engine.support import T0, Instance, chain, edge, make_flow, node

BIG = {"properties": {"amount": {"exclusiveMinimum": 1000}}, "required": ["amount"]}
VIP = {"properties": {"level": {"const": "vip"}}, "required": ["level"]}


def branch_flow(*, with_default: bool = True) -> dict:
    """start -> exclusive route: e_vip (priority 1), e_big (priority 2), default -> ends."""
    nodes = [
        node("start", "start"),
        node("route", "exclusive"),
        node("vip", "end", outcome="resolved"),
        node("big", "end", outcome="resolved"),
        node("small", "end", outcome="resolved"),
    ]
    edges = [
        edge("start", "route"),
        edge("route", "big", priority=2, when=BIG),
        edge("route", "vip", priority=1, when=VIP),
    ]
    if with_default:
        edges.append(edge("route", "small", default=True))
    return make_flow(nodes, edges)


def test_chain_start_to_end_finishes_final() -> None:
    """A flow start -> end ends in one call with one final Finish."""
    instance = Instance(chain())
    assert instance.ended
    (finish,) = instance.of(Finish)
    assert (finish.outcome, finish.final, finish.node) == ("resolved", True, "end")
    assert instance.state["path"] == ["start", "end"]
    assert instance.state["outcome"] == "resolved"


def test_every_documented_node_type_is_registered() -> None:
    """Each node type of docs/flows.md has a handler."""
    documented = {"start", "exclusive", "parallel_split", "parallel_join", "assign"}
    documented |= {"approval", "user_task", "action", "wait", "end"}
    assert set(registered_types()) == documented


def test_assign_emits_strategy_and_continues() -> None:
    """Assign emits the strategy with its parameters and moves on at once."""
    instance = Instance(chain(node("a", "assign", strategy="round_robin", team="support")))
    (assign,) = instance.of(Assign)
    assert assign == Assign("assign:a:r1", "a", "round_robin", {"team": "support"})
    assert instance.ended


@pytest.mark.parametrize(
    ("data", "target", "matched"),
    [
        ({"amount": 1500, "level": "vip"}, "vip", "route-out-vip"),
        ({"amount": 1500}, "big", "route-out-big"),
        ({"amount": 10}, "small", None),
    ],
)
def test_exclusive_takes_first_match_by_priority(data: dict, target: str, matched) -> None:
    """Edges are tried by priority; the first match wins, else the default edge."""
    instance = Instance(branch_flow(), data)
    (record,) = instance.of(Record)
    assert record.kind == "branch"
    assert record.detail["target"] == target
    assert record.detail["matched"] == matched
    assert record.detail["default"] is (matched is None)
    assert instance.state["path"][-1] == target


def test_exclusive_reason_names_condition_and_value() -> None:
    """The branch record explains which condition matched with the data it saw."""
    instance = Instance(branch_flow(), {"amount": 1500})
    detail = instance.of(Record)[0].detail
    assert detail["tried"] == ["route-out-vip", "route-out-big"]
    assert detail["reason"] == "amount > 1000 matched (amount = 1500)"


def test_exclusive_default_reason_lists_failed_conditions() -> None:
    """Taking the default edge says which conditions did not match."""
    instance = Instance(branch_flow(), {"amount": 5})
    reason = instance.of(Record)[0].detail["reason"]
    assert reason.startswith('level = "vip" did not match (level is empty)')
    assert reason.endswith("took the default edge")


def test_exclusive_default_only_says_default() -> None:
    """An exclusive node with only a default edge says so."""
    flow = make_flow(
        [node("start", "start"), node("x", "exclusive"), node("end", "end")],
        [edge("start", "x"), edge("x", "end", default=True)],
    )
    record = Instance(flow).of(Record)[0]
    assert record.detail["reason"] == "no condition matched, took the default edge"


def test_exclusive_edge_without_condition_matches() -> None:
    """A non-default edge without ``when`` always matches."""
    flow = make_flow(
        [node("start", "start"), node("x", "exclusive"), node("end", "end")],
        [edge("start", "x"), edge("x", "end", priority=1)],
    )
    assert Instance(flow).of(Record)[0].detail["reason"] == "edge without a condition"


def test_exclusive_without_match_or_default_raises() -> None:
    """A bad graph with no default and no match is an illegal transition."""
    with pytest.raises(IllegalTransition, match="no default"):
        Instance(branch_flow(with_default=False), {"amount": 1})


def test_action_set_and_notify_continue_synchronously() -> None:
    """Set and notify emit their effect and continue in the same call."""
    flow = chain(
        node("s", "action", action="set", set={"status": "open", "fields": {"x": 1}}),
        node(
            "n",
            "action",
            action="notify",
            channel="email",
            to=[{"kind": "requester"}],
            subject={"en": "Hi"},
            body={"en": "{{x}}"},
        ),
    )
    instance = Instance(flow)
    assert instance.of(SetTicket) == [SetTicket("set:s:r1", "s", "open", None, {"x": 1})]
    (notify,) = instance.of(Notify)
    assert notify.to == ({"kind": "requester"},) and notify.channel == "email"
    assert instance.ended


def test_webhook_waits_for_job_done() -> None:
    """A webhook waits for job.done with its effect key; failures are recorded, then done."""
    instance = Instance(
        chain(node("w", "action", action="webhook", url="https://h", retry={"max": 3}))
    )
    (call,) = instance.of(CallWebhook)
    assert (call.key, call.url, call.retry_max, call.secret) == (
        "webhook:w:r1",
        "https://h",
        3,
        None,
    )
    assert instance.jobs == ["webhook:w:r1"] and not instance.ended
    failed = instance.send(Event.job_failed(call.key, "503"))
    assert [(r.kind, r.detail["error"]) for r in failed] == [("job.failed", "503")]
    again = instance.send(Event.job_failed(call.key, "504"))
    assert again[0].key != failed[0].key
    assert not instance.ended
    assert instance.send(Event.job_done("webhook:w:r9")) == []
    instance.send(Event.job_done(call.key, {"ok": True}))
    assert instance.ended
    assert instance.send(Event.job_done(call.key)) == []


def test_duplicate_job_done_is_ignored() -> None:
    """A second job.done for the same effect yields no effects and no change."""
    flow = chain(
        node("w", "action", action="webhook", url="https://h"),
        node("u", "user_task", assignee={"kind": "user", "user": "ann@x"}),
    )
    instance = Instance(flow)
    instance.send(Event.job_done("webhook:w:r1"))
    state = instance.state
    assert instance.send(Event.job_done("webhook:w:r1")) == []
    assert instance.state is state
    assert instance.send(Event.job_failed("webhook:w:r1", "late")) == []


def test_lookup_maps_response_with_json_pointers() -> None:
    """Lookup applies its map from the job result; missing pointers are recorded."""
    mapping = {
        "owner": "/data/owner",
        "first": "/items/0",
        "slash": "/a~1b",
        "gone": "/nope",
        "bad": "nope",
        "whole": "",
    }
    instance = Instance(chain(node("l", "action", action="lookup", url="https://l", map=mapping)))
    (lookup,) = instance.of(Lookup)
    assert (lookup.method, lookup.map) == ("GET", mapping)
    result = {"data": {"owner": "ann"}, "items": ["x"], "a/b": 2}
    effects = instance.send(Event.job_done(lookup.key, result))
    (set_ticket,) = instance.of(SetTicket)
    assert set_ticket.fields == {"owner": "ann", "first": "x", "slash": 2, "whole": result}
    missing = [e for e in effects if isinstance(e, Record) and e.kind == "lookup.missing"]
    assert missing[0].detail == {"fields": ["gone", "bad"]}
    assert instance.ended


def test_lookup_without_fields_found_sets_nothing() -> None:
    """A lookup whose pointers all miss emits no SetTicket; a list index out of range misses."""
    instance = Instance(chain(node("l", "action", action="lookup", url="u", map={"a": "/0/x"})))
    instance.send(Event.job_done("lookup:l:r1", [1]))
    assert instance.of(SetTicket) == [] and instance.ended


def test_unknown_action_raises() -> None:
    """An action kind the engine does not know is an illegal transition."""
    with pytest.raises(IllegalTransition, match="unknown action"):
        Instance(chain(node("a", "action", action="teleport")))


def test_user_task_completes() -> None:
    """A user task opens one task and continues on complete only."""
    flow = chain(
        node(
            "u",
            "user_task",
            assignee={"kind": "user", "user": "ann@x"},
            title={"en": "Check"},
            form="f",
            due="PT4H",
        )
    )
    instance = Instance(flow)
    (task,) = instance.of(CreateTask)
    assert (task.task, task.kind, task.assignee, task.form) == (
        "task:u:r1:s0",
        "user_task",
        "ann@x",
        "f",
    )
    assert task.due_at == T0 + timedelta(hours=4)
    assert instance.decide(task.task, "approve") == []
    assert instance.decide("task:u:r2:s0", "complete") == []
    effects = instance.decide(task.task, "complete")
    assert effects[0].kind == "task.completed" and instance.ended


def test_user_task_without_assignee() -> None:
    """A user task whose selector resolves to nobody is created unassigned."""
    instance = Instance(chain(node("u", "user_task", assignee={"kind": "team", "team": "none"})))
    assert instance.of(CreateTask)[0].assignee is None
    instance2 = Instance(chain(node("u", "user_task")))
    assert instance2.of(CreateTask)[0].due_at is None


def test_lookup_with_every_pointer_found_records_nothing_missing() -> None:
    """A lookup whose pointers all resolve sets the fields and records no missing ones."""
    instance = Instance(chain(node("l", "action", action="lookup", url="u", map={"a": "/a"})))
    effects = instance.send(Event.job_done("lookup:l:r1", {"a": 1}))
    assert instance.of(SetTicket)[0].fields == {"a": 1}
    assert instance.of(Record, effects) == []
