"""Explanations of conditions and dry-run simulations."""

from __future__ import annotations

import pytest

from runtime.engine import Context, describe, explain, simulate
from tests.engine.support import T0, FakeDirectory, approval_flow, chain, edge, make_flow, node


def row(name: str, schema: dict) -> dict:
    """One builder row: ``name`` must be present and match ``schema``."""
    return {"properties": {name: schema}, "required": [name]}


@pytest.mark.parametrize(
    ("condition", "text"),
    [
        (row("x", {"const": "a"}), 'x = "a"'),
        (row("x", {"not": {"const": 1}}), "x != 1"),
        (row("x", {"enum": ["a", "b"]}), 'x in ["a", "b"]'),
        (row("x", {"contains": {"const": "t"}}), 'x contains "t"'),
        (row("x", {"pattern": "abc"}), "x matches /abc/"),
        (row("x", {"exclusiveMinimum": 5}), "x > 5"),
        (row("x", {"exclusiveMaximum": 5}), "x < 5"),
        (row("x", {"minimum": 1, "maximum": 2}), "x >= 1 and x <= 2"),
        ({"not": {"required": ["x"]}}, "x is empty"),
        ({"required": ["x"]}, "x is not empty"),
        ({"allOf": [row("x", {"const": 1}), row("y", {"const": 2})]}, "(x = 1) and (y = 2)"),
        ({"anyOf": [row("x", {"const": 1})]}, "x = 1"),
        (
            {"oneOf": [row("x", {"const": 1}), row("y", {"const": 2})]},
            "exactly one of ((x = 1) or (y = 2))",
        ),
        ({"not": row("x", {"const": 1})}, "not (x = 1)"),
        (row("_ticket", row("priority", {"const": "high"})), '_ticket.priority = "high"'),
    ],
)
def test_describe_builder_operators(condition: dict, text: str) -> None:
    """Every operator of the builder's table reads back as text."""
    assert describe(condition) == text


@pytest.mark.parametrize(
    "condition",
    [
        row("x", {"type": "string"}),
        {"if": {}},
        {},
        [],
        row("x", {}),
        {"allOf": []},
        {"not": {"if": {}}},
        {"oneOf": [{"if": {}}]},
    ],
)
def test_describe_unknown_fragments_give_none(condition: object) -> None:
    """A fragment beyond the operator table is not described."""
    assert describe(condition) is None


def test_explain_with_values_and_fallback() -> None:
    """``explain`` adds the data values it used, or falls back to a generic sentence."""
    data = {"amount": 1500, "_ticket": {"priority": "low"}}
    assert explain(row("amount", {"exclusiveMinimum": 1000}), data, True) == (
        "amount > 1000 matched (amount = 1500)"
    )
    nested = row("_ticket", row("priority", {"const": "high"}))
    assert explain(nested, data, False) == (
        '_ticket.priority = "high" did not match (_ticket.priority = "low")'
    )
    assert (
        explain({"not": {"required": ["gone"]}}, data, True)
        == "gone is empty matched (gone is empty)"
    )
    assert explain(row("x", {"type": "string"}), data, True) == "condition matched"
    assert explain({"allOf": [{"properties": {}}]}, data, False) == "condition did not match"


def routed_flow() -> dict:
    """start -> route -> (amount > 1000: approval ``leads`` | default: assign) -> end."""
    nodes = [
        node("start", "start"),
        node("route", "exclusive"),
        node(
            "leads",
            "approval",
            approvers=[{"kind": "team", "team": "leads"}],
            mode="all",
            due="P2D",
            onTimeout="escalate",
        ),
        node("pay", "action", action="webhook", url="https://pay"),
        node("rr", "assign", strategy="round_robin", team="after-sales"),
        node("done", "end", outcome="resolved"),
        node("no", "end", outcome="rejected"),
    ]
    edges = [
        edge("start", "route"),
        edge("route", "leads", priority=1, when=row("amount", {"exclusiveMinimum": 1000})),
        edge("route", "rr", default=True),
        edge("leads", "pay", "approved"),
        edge("leads", "no", "rejected"),
        edge("pay", "done"),
        edge("rr", "done"),
    ]
    return make_flow(nodes, edges)


def ctx(**data: object) -> Context:
    """A context at T0 with ``data``."""
    return Context(T0, data, FakeDirectory())


def test_simulate_path_and_branch_reason() -> None:
    """A simulation approves by default and explains the branch it took."""
    result = simulate(routed_flow(), ctx(amount=1500))
    assert result.path == ["start", "route", "leads", "pay", "done"]
    assert result.outcome == "resolved" and result.ended
    assert result.steps[1] == {"node": "route", "reason": "amount > 1000 matched (amount = 1500)"}
    assert result.steps[2]["reason"].startswith("approved (approved by cat@x; 3 of 3 approved")
    assert result.as_dict()["steps"][-1] == {"node": "done", "reason": "ended (resolved)"}


def test_simulate_default_edge_reason() -> None:
    """Taking the default edge is explained with the value that failed."""
    result = simulate(routed_flow(), ctx(amount=5))
    assert result.path == ["start", "route", "rr", "done"]
    assert result.steps[1]["reason"] == (
        "amount > 1000 did not match (amount = 5); took the default edge"
    )
    assert result.steps[2]["reason"] == "assigned (round_robin)"


def test_simulate_follows_decisions() -> None:
    """``decisions`` rejects at the named approval node."""
    result = simulate(routed_flow(), ctx(amount=5000), {"leads": "reject"})
    assert result.path[-1] == "no" and result.outcome == "rejected"


def test_simulate_completes_tasks_fires_timers_and_replies() -> None:
    """User tasks complete, timers fire (earliest first) and replies arrive."""
    flow = chain(
        node("u", "user_task", assignee={"kind": "user", "user": "ann@x"}),
        node("w", "wait", **{"for": "duration", "duration": "P1D"}),
        node("r", "wait", **{"for": "event", "event": "requester.replied", "timeout": "P9D"}),
        node("l", "action", action="lookup", url="u", map={"a": "/a"}),
    )
    result = simulate(flow, ctx())
    assert result.outcome == "resolved"
    assert [s["reason"] for s in result.steps[1:4]] == [
        "user task",
        "waited (duration)",
        "waited (event)",
    ]


def test_simulate_stops_on_endless_returns() -> None:
    """A rejection that always returns stops at the event limit without an outcome."""
    flow = approval_flow(onReject="return", returnTo="ap")
    result = simulate(flow, ctx(), {"ap": "reject"}, max_events=5)
    assert not result.ended and result.outcome is None
    assert result.path.count("ap") == 6


def test_simulate_stuck_instance_stops() -> None:
    """An instance waiting on nothing answerable (a lone join arrival) stops."""
    nodes = [
        node("start", "start"),
        node("split", "parallel_split", join="j"),
        node("j", "parallel_join"),
        node("end", "end"),
        node("x", "end"),
    ]
    edges = [
        edge("start", "split"),
        edge("split", "j"),
        edge("split", "x"),
        edge("j", "end"),
        edge("start", "j", "never"),
    ]
    result = simulate(make_flow(nodes, edges), ctx())
    assert not result.ended and result.steps[-1]["reason"] == "ended (resolved)"
    assert result.steps[2]["reason"] == "arrived at the join"


def test_simulate_waiting_approval_reason() -> None:
    """An approval still waiting when the simulation stops says so."""
    result = simulate(approval_flow(), ctx(), max_events=0)
    assert result.steps[-1] == {"node": "ap", "reason": "waiting for approval"}


def test_describe_repeated_field_is_listed_once() -> None:
    """A field named twice shows its value once."""
    condition = {"allOf": [row("x", {"minimum": 1}), row("x", {"maximum": 9})]}
    assert explain(condition, {"x": 5}, True) == "(x >= 1) and (x <= 9) matched (x = 5)"
