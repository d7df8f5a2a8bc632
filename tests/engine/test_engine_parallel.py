"""Parallel split and join: one token per branch, the join waits for every branch."""

from __future__ import annotations

from runtime.engine import Event, Finish, SetTicket
from tests.engine.support import Instance, edge, make_flow, node

USER = {"kind": "user", "user": "ann@x"}


def task(node_id: str) -> dict:
    """A user task node."""
    return node(node_id, "user_task", assignee=USER)


def split_flow() -> dict:
    """start -> split -> (task a | task b | set c) -> join -> end."""
    nodes = [
        node("start", "start"),
        node("split", "parallel_split", join="join"),
        task("a"),
        task("b"),
        node("c", "action", action="set", set={"status": "open"}),
        node("join", "parallel_join"),
        node("end", "end"),
    ]
    edges = [edge("start", "split")]
    edges += [edge("split", x) for x in "abc"] + [edge(x, "join") for x in "abc"]
    edges.append(edge("join", "end"))
    return make_flow(nodes, edges)


def frames(instance: Instance) -> list[list[list[str]]]:
    """The branch frames of every live token."""
    return [t["frames"] for t in instance.state["tokens"].values()]


def test_split_makes_one_token_per_edge_and_join_waits_for_all() -> None:
    """Each branch runs on its own token; the join continues once all arrived."""
    instance = Instance(split_flow())
    assert sorted(instance.tasks) == ["task:a:r1:s0", "task:b:r1:s0"]
    assert len(instance.state["tokens"]) == 3
    assert instance.of(SetTicket)[0].status == "open"
    assert sorted(f[0][1] for f in frames(instance)) == [
        "split-out-a",
        "split-out-b",
        "split-out-c",
    ]
    instance.decide("task:b:r1:s0", "complete")
    assert not instance.ended and len(instance.state["tokens"]) == 3
    instance.decide("task:a:r1:s0", "complete")
    assert instance.ended
    assert [f.final for f in instance.of(Finish)] == [True]
    assert instance.state["path"].count("join") == 3
    assert instance.state["path"].count("end") == 1


def test_nested_split_inside_a_branch() -> None:
    """A split inside a branch joins its own tokens before the outer join."""
    nodes = [
        node("start", "start"),
        node("outer", "parallel_split", join="ojoin"),
        task("a"),
        node("inner", "parallel_split", join="ijoin"),
        task("b1"),
        task("b2"),
        node("ijoin", "parallel_join"),
        node("ojoin", "parallel_join"),
        node("end", "end"),
    ]
    edges = [
        edge("start", "outer"),
        edge("outer", "a"),
        edge("outer", "inner"),
        edge("inner", "b1"),
        edge("inner", "b2"),
        edge("b1", "ijoin"),
        edge("b2", "ijoin"),
        edge("ijoin", "ojoin"),
        edge("a", "ojoin"),
        edge("ojoin", "end"),
    ]
    instance = Instance(make_flow(nodes, edges))
    assert sorted(len(f) for f in frames(instance)) == [1, 2, 2]
    instance.decide("task:b1:r1:s0", "complete")
    instance.decide("task:b2:r1:s0", "complete")
    assert sorted(len(f) for f in frames(instance)) == [1, 1]
    instance.decide("task:a:r1:s0", "complete")
    assert instance.ended


def test_replied_event_reaches_every_waiting_branch() -> None:
    """ticket.replied answers every token waiting for it."""
    wait = {"for": "event", "event": "requester.replied"}
    nodes = [
        node("start", "start"),
        node("split", "parallel_split", join="join"),
        node("w1", "wait", **wait),
        node("w2", "wait", **wait),
        node("join", "parallel_join"),
        node("end", "end"),
    ]
    edges = [edge("start", "split"), edge("split", "w1"), edge("split", "w2")]
    edges += [edge("w1", "join"), edge("w2", "join"), edge("join", "end")]
    instance = Instance(make_flow(nodes, edges))
    instance.send(Event.replied())
    assert instance.ended


def test_cancel_ends_all_branches() -> None:
    """Cancel removes every token of every branch."""
    instance = Instance(split_flow())
    instance.send(Event.cancel())
    assert instance.ended and instance.state["tokens"] == {}


def test_join_without_split_frame_keeps_frames() -> None:
    """A join reached without its split's frame (bad graph) still merges its arrivals."""
    nodes = [node("start", "start"), node("join", "parallel_join"), node("end", "end")]
    instance = Instance(make_flow(nodes, [edge("start", "join"), edge("join", "end")]))
    assert instance.ended
