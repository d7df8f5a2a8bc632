"""Hypothesis strategies for valid flows: chains of nodes, nested branches, always ending.

A chain is 1-3 segments; each segment has one entry and a list of open exits
``(source, handle)`` that the next segment (or an end node) picks up. Exclusive and
parallel segments nest chains; a parallel branch with several exits merges them through an
exclusive node with only a default edge, so a join gets exactly one edge per branch.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.engine.support import FakeDirectory

TEAMS = {"one": ["ann@x"], "two": ["ann@x", "bob@x"], "three": ["ann@x", "bob@x", "cat@x"]}
DIRECTORY = FakeDirectory(TEAMS, {"ann@x": "max@x", "bob@x": "max@x"})

CONDITIONS = [
    {"properties": {"amount": {"exclusiveMinimum": 1000}}, "required": ["amount"]},
    {"properties": {"level": {"const": "vip"}}, "required": ["level"]},
    {"required": ["note"]},
    {"not": {"required": ["amount"]}},
]

#: Ticket data the conditions look at.
DATA = st.fixed_dictionaries(
    {},
    optional={
        "amount": st.integers(0, 3000),
        "level": st.sampled_from(["vip", "std"]),
        "note": st.just("hi"),
    },
)

Exits = list[tuple[str, str | None]]


class FlowBuilder:
    """Collects nodes and edges with generated ids."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.edges: list[dict[str, Any]] = []

    def add(self, node_type: str, **data: Any) -> str:
        """Add a node; return its id."""
        node_id = f"n{len(self.nodes)}"
        self.nodes.append({"id": node_id, "type": node_type, "position": {}, "data": data})
        return node_id

    def link(self, source: str, handle: str | None, target: str, **data: Any) -> None:
        """Add an edge."""
        edge_id = f"e{len(self.edges)}"
        self.edges.append(
            {
                "id": edge_id,
                "source": source,
                "target": target,
                "sourceHandle": handle,
                "data": data,
            }
        )


def _action(draw: st.DrawFn, b: FlowBuilder) -> Exits:
    kind = draw(st.sampled_from(["set", "notify", "webhook", "lookup"]))
    data: dict[str, Any] = {
        "set": {"set": {"status": "open", "fields": {"x": 1}}},
        "notify": {"channel": "email", "to": [{"kind": "requester"}], "subject": {"en": "s"}},
        "webhook": {"url": "https://hook.example", "retry": {"max": 2}},
        "lookup": {"url": "https://api.example", "map": {"x": "/x", "y": "/a/b"}},
    }[kind]
    return [(b.add("action", action=kind, **data), None)]


def _wait(draw: st.DrawFn, b: FlowBuilder) -> Exits:
    kind = draw(st.sampled_from(["duration", "date", "event", "event_timeout"]))
    if kind == "duration":
        return [(b.add("wait", **{"for": "duration", "duration": "PT2H"}), None)]
    if kind == "date":
        return [(b.add("wait", **{"for": "date", "date": "2025-06-01T00:00:00Z"}), None)]
    data = {"for": "event", "event": "requester.replied"}
    if kind == "event":
        return [(b.add("wait", **data), None)]
    node_id = b.add("wait", **data, timeout="P3D")
    return [(node_id, None), (node_id, "timeout")]


def _approval(draw: st.DrawFn, b: FlowBuilder, earlier: list[str]) -> Exits:
    team = draw(st.sampled_from(sorted(TEAMS)))
    data: dict[str, Any] = {
        "approvers": [{"kind": "team", "team": team}],
        "mode": draw(st.sampled_from(["single", "sequential", "all", "any", "k_of_n"])),
    }
    returning = bool(earlier) and draw(st.booleans())
    if data["mode"] == "k_of_n":
        # A return needs k within reach, or the rejection would loop without waiting.
        low, high = (1, len(TEAMS[team])) if returning else (0, len(TEAMS[team]) + 1)
        data["k"] = draw(st.integers(low, high))
    if draw(st.booleans()):
        data["due"] = "P1D"
        data["onTimeout"] = draw(st.sampled_from(["remind", "escalate", "approve", "reject"]))
        if draw(st.booleans()):
            data["remindEvery"] = "PT6H"
    node_id = b.add("approval", **data)
    exits: Exits = [(node_id, "approved")]
    if returning:
        b.nodes[-1]["data"].update(onReject="return", returnTo=draw(st.sampled_from(earlier)))
    else:
        exits.append((node_id, "rejected"))
    if "due" in data and draw(st.booleans()):
        exits.append((node_id, "timeout"))
    return exits


def _exclusive(draw: st.DrawFn, b: FlowBuilder, depth: int) -> tuple[str, Exits]:
    node_id = b.add("exclusive")
    exits: Exits = []
    count = draw(st.integers(1, 3))
    for index in range(count):
        entry, branch_exits = _chain(draw, b, depth - 1)
        if index == count - 1:
            b.link(node_id, None, entry, default=True)
        else:
            b.link(node_id, None, entry, priority=index, when=draw(st.sampled_from(CONDITIONS)))
        exits += branch_exits
    return node_id, exits


def _parallel(draw: st.DrawFn, b: FlowBuilder, depth: int) -> tuple[str, Exits]:
    split = b.add("parallel_split")
    join = b.add("parallel_join")
    b.nodes[-2]["data"]["join"] = join
    for _ in range(draw(st.integers(2, 3))):
        entry, branch_exits = _chain(draw, b, depth - 1)
        b.link(split, None, entry)
        if len(branch_exits) > 1:
            merge = b.add("exclusive")
            for source, handle in branch_exits:
                b.link(source, handle, merge)
            branch_exits = [(merge, None)]
        b.link(branch_exits[0][0], branch_exits[0][1], join)
    return split, [(join, None)]


def _segment(draw: st.DrawFn, b: FlowBuilder, depth: int, earlier: list[str]) -> tuple[str, Exits]:
    kinds = ["action", "assign", "user_task", "wait", "approval"]
    kinds += ["exclusive", "parallel"] if depth > 0 else []
    kind = draw(st.sampled_from(kinds))
    if kind == "exclusive":
        return _exclusive(draw, b, depth)
    if kind == "parallel":
        return _parallel(draw, b, depth)
    if kind == "action":
        exits = _action(draw, b)
    elif kind == "assign":
        exits = [(b.add("assign", strategy="round_robin", team="support"), None)]
    elif kind == "user_task":
        exits = [(b.add("user_task", assignee={"kind": "user", "user": "ann@x"}), None)]
    elif kind == "wait":
        exits = _wait(draw, b)
    else:
        exits = _approval(draw, b, earlier)
    return exits[0][0], exits


def _chain(draw: st.DrawFn, b: FlowBuilder, depth: int) -> tuple[str, Exits]:
    entry: str | None = None
    pending: Exits = []
    earlier: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        segment_entry, exits = _segment(draw, b, depth, earlier)
        for source, handle in pending:
            b.link(source, handle, segment_entry)
        entry = entry or segment_entry
        earlier.append(segment_entry)
        pending = exits
    assert entry is not None
    return entry, pending


@st.composite
def flows(draw: st.DrawFn, max_depth: int = 2) -> dict[str, Any]:
    """A valid flow: start, nested segments, and an end for every open exit."""
    b = FlowBuilder()
    start = b.add("start", trigger="manual")
    entry, exits = _chain(draw, b, max_depth)
    b.link(start, None, entry)
    done = b.add("end", outcome="resolved")
    refused = b.add("end", outcome="rejected")
    for source, handle in exits:
        b.link(source, handle, refused if handle == "rejected" else done)
    return {
        "formatVersion": 1,
        "key": "generated",
        "title": {"en": "G"},
        "nodes": b.nodes,
        "edges": b.edges,
    }
