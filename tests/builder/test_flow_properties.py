"""Properties: flows built valid by construction validate cleanly; junk never raises."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from builder.flows.definition import validate_flow
from builder.flows.nodes import FlowReferences

REFS = FlowReferences(
    forms={"refund": {"category", "amount", "order_id", "description", "email", "confirm"}},
    users={"agent1@example.com"},
    teams={"after-sales"},
    roles={"agent"},
)
SIMPLE = ("task", "assign", "set", "wait", "notify")


def blocks(depth: int) -> st.SearchStrategy[Any]:
    """A sequence of blocks; compound blocks (branch, parallel) nest ``depth`` deep."""
    simple = st.one_of(st.sampled_from(SIMPLE).map(lambda k: (k,)),
                       st.tuples(st.just("approval"), st.booleans()))
    if depth == 0:
        return st.lists(simple, max_size=3)
    inner = blocks(depth - 1)
    compound = st.one_of(
        st.tuples(st.just("branch"), st.lists(inner, min_size=1, max_size=3)),
        st.tuples(st.just("parallel"), st.lists(inner, min_size=2, max_size=3)),
    )
    return st.lists(st.one_of(simple, compound), max_size=3)


class FlowBuilder:
    """Turns a block tree into nodes and edges that obey every rule of validate_flow."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0},
             "data": {"trigger": "form.submitted", "form": "refund"}}]
        self.edges: list[dict[str, Any]] = []

    def node(self, node_type: str, data: dict[str, Any], exits: list[Any]) -> str:
        """Add a node that every pending exit leads to."""
        node_id = f"n{len(self.nodes)}"
        self.nodes.append({"id": node_id, "type": node_type, "data": data,
                           "position": {"x": len(self.nodes) * 10, "y": 0}})
        for source, handle, edge_data in exits:
            edge: dict[str, Any] = {"id": f"e{len(self.edges)}", "source": source,
                                    "target": node_id}
            if handle:
                edge["sourceHandle"] = handle
            if edge_data:
                edge["data"] = edge_data
            self.edges.append(edge)
        return node_id

    def emit(self, sequence: list[Any], exits: list[Any], *, in_branch: bool,
             main: list[str] | None) -> list[Any]:
        """Emit ``sequence`` after ``exits``; returns the exits left open at its end."""
        for block in sequence:
            kind = block[0]
            if kind in SIMPLE:
                data = {
                    "task": {"title": {"en": "Do it", "zh-CN": "处理"}, "due": "PT4H"},
                    "assign": {"strategy": "round_robin", "team": "after-sales"},
                    "set": {"action": "set", "set": {"priority": "high"}},
                    "wait": {"for": "duration", "duration": "P1D"},
                    "notify": {"action": "notify", "channel": "email",
                               "to": [{"kind": "requester"}], "body": "{{order_id}}"},
                }[kind]
                node_type = {"task": "user_task", "set": "action", "notify": "action"}.get(
                    kind, kind)
                exits = [(self.node(node_type, data, exits), None, None)]
            elif kind == "approval":
                exits = self._approval(block[1], exits, in_branch, main)
            elif kind == "branch":
                exits = self._branch(block[1], exits, in_branch)
            else:
                exits = self._parallel(block[1], exits)
            if main is not None and len(exits) == 1 and exits[0][1] is None:
                main.append(exits[0][0])
        return exits

    def _approval(self, returns: bool, exits: list[Any], in_branch: bool,
                  main: list[str] | None) -> list[Any]:
        data: dict[str, Any] = {"approvers": [{"kind": "team", "team": "after-sales"}],
                                "mode": "all", "due": "P2D", "onTimeout": "escalate"}
        earlier = [n for n in (main or []) if n != "start"]
        if returns and earlier:
            data.update(onReject="return", returnTo=earlier[-1])
        node_id = self.node("approval", data, exits)
        if "returnTo" in data:
            return [(node_id, "approved", None)]
        if in_branch:
            return [(node_id, "approved", None), (node_id, "rejected", None)]
        end = self.node("end", {"outcome": "rejected"}, [(node_id, "rejected", None)])
        assert end
        return [(node_id, "approved", None)]

    def _branch(self, branches: list[Any], exits: list[Any], in_branch: bool) -> list[Any]:
        node_id = self.node("exclusive", {}, exits)
        out: list[Any] = []
        for index, branch in enumerate(branches):
            data = {"default": True} if index == 0 else {
                "priority": index,
                "when": {"properties": {"amount": {"minimum": index * 100}},
                         "required": ["amount"]}}
            out += self.emit(branch, [(node_id, None, data)], in_branch=in_branch, main=None)
        return out

    def _parallel(self, branches: list[Any], exits: list[Any]) -> list[Any]:
        split_id = self.node("parallel_split", {"join": "?"}, exits)
        ends = []
        for branch in branches:
            open_exits = self.emit(branch, [(split_id, None, None)], in_branch=True, main=None)
            if len(open_exits) > 1:  # merge first: a join counts tokens per incoming edge
                open_exits = [(self.node("user_task", {"title": "merge"}, open_exits), None,
                               None)]
            ends += open_exits
        join_id = self.node("parallel_join", {}, ends)
        self.nodes[int(split_id[1:])]["data"]["join"] = join_id
        return [(join_id, None, None)]

    def build(self, sequence: list[Any]) -> dict[str, Any]:
        """The complete definition."""
        main = ["start"]
        exits = self.emit(sequence, [("start", None, None)], in_branch=False, main=main)
        self.node("end", {"outcome": "resolved"}, exits)
        return {"formatVersion": 1, "key": "generated", "title": "Generated",
                "nodes": self.nodes, "edges": self.edges}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks(2))
def test_flow_generated_valid_flows_have_no_problems(sequence):
    """Any flow built by the rules (branches, parallel regions, returns) validates clean."""
    definition = FlowBuilder().build(sequence)
    problems = validate_flow(definition, directory=REFS)
    assert problems == [], (json.dumps(definition)[:2000], problems)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["id", "type", "data", "source", "target", "when",
                                       "default", "join", "approvers", "kind", "x"]),
                      children, max_size=4),
    max_leaves=30,
)
NODE_TYPE = st.sampled_from(["start", "end", "exclusive", "approval", "wait", "action",
                             "assign", "user_task", "parallel_split", "parallel_join", "?"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "c"]),
                                       "type": NODE_TYPE, "data": JSON}), max_size=5),
       st.lists(st.fixed_dictionaries({"id": st.sampled_from(["e", "f"]),
                                       "source": st.sampled_from(["a", "b", "c"]),
                                       "target": st.sampled_from(["a", "b", "c"]),
                                       "sourceHandle": st.sampled_from(
                                           [None, "approved", "rejected", "timeout", "x"]),
                                       "data": JSON}), max_size=6),
       JSON)
def test_flow_junk_never_raises(nodes, edges, extra):
    """Random node data, edges and extra values give a list of located problems."""
    definition = {"formatVersion": 1, "nodes": nodes, "edges": edges, "viewport": extra}
    for problem in validate_flow(definition, directory=REFS):
        assert problem.pointer == "" or problem.pointer.startswith("/")
