"""Graph checks of a flow: one start, endpoints and handles, reachability, cycles, pairing.

Works on the nodes and edges that passed the structure pass (``Node``, ``Edge``), without
recursion, so hostile graphs cost time linear in their (bounded) size per check. Rules:

- exactly one start; no edge into it; no self-loop; endpoints exist;
- each node's exits (handles and counts) fit its type (``NodeType.exits``);
- every node is reachable from the start and can reach an end (cycles are fine);
- no cycle made only of synchronous nodes (nothing would ever wait: the engine would spin);
- a ``parallel_split`` names a ``parallel_join``; each join has exactly one split; every
  branch of a split reaches its join by exactly one of the join's incoming edges, its own,
  without reaching an end or the split again; nothing outside enters the region between.

An approval that returns on rejection (``onReject: return``) counts as an edge to its
``returnTo`` node for reachability, cycles and regions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from builder.fields.values import pointer
from builder.flows.nodes import NODE_TYPES
from core.errors import Problem


@dataclass(frozen=True)
class Node:
    """A node whose id and type passed the structure pass."""

    id: str
    index: int
    type: str
    data: Mapping[str, Any]

    @property
    def at(self) -> str:
        """The node's JSON pointer."""
        return pointer("/nodes", self.index)


@dataclass(frozen=True)
class Edge:
    """An edge whose id, endpoints and handle passed the structure pass."""

    id: str
    index: int
    source: str
    target: str
    handle: str | None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def at(self) -> str:
        """The edge's JSON pointer."""
        return pointer("/edges", self.index)


@dataclass
class Graph:
    """Nodes by id (first of duplicates), edges between existing nodes, return edges."""

    nodes: dict[str, Node]
    edges: list[Edge]
    #: approval id -> returnTo id, for approvals that return on rejection.
    returns: dict[str, str]
    succ: dict[str, list[str]] = field(default_factory=dict)
    pred: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, nodes: Iterable[Node], edges: Iterable[Edge]) -> Graph:
        """Index nodes and the edges whose endpoints exist."""
        by_id: dict[str, Node] = {}
        for node in nodes:
            by_id.setdefault(node.id, node)
        linked = [e for e in edges if e.source in by_id and e.target in by_id]
        returns = {
            n.id: n.data["returnTo"]
            for n in by_id.values()
            if n.type == "approval" and n.data.get("onReject") == "return"
            and n.data.get("returnTo") in by_id
        }
        graph = cls(by_id, linked, returns)
        graph.succ = {key: [] for key in by_id}
        graph.pred = {key: [] for key in by_id}
        pairs = [(e.source, e.target) for e in linked] + list(returns.items())
        for source, target in pairs:
            graph.succ[source].append(target)
            graph.pred[target].append(source)
        return graph

    def reach(self, starts: Iterable[str], forward: bool = True,
              stop: frozenset[str] = frozenset()) -> set[str]:
        """Nodes reachable from ``starts`` (included), not expanding nodes in ``stop``."""
        links = self.succ if forward else self.pred
        seen = set(starts)
        queue = deque(seen - stop)
        while queue:
            for nxt in links[queue.popleft()]:
                if nxt not in seen:
                    seen.add(nxt)
                    if nxt not in stop:
                        queue.append(nxt)
        return seen

    def ancestors(self) -> dict[str, frozenset[str]]:
        """For each node, the nodes it can be reached from by plain edges (its earlier steps)."""
        plain: dict[str, list[str]] = {key: [] for key in self.nodes}
        for edge in self.edges:
            plain[edge.target].append(edge.source)
        found = {}
        for key in self.nodes:
            seen: set[str] = set()
            queue = deque([key])
            while queue:
                for prev in plain[queue.popleft()]:
                    if prev not in seen:
                        seen.add(prev)
                        queue.append(prev)
            found[key] = frozenset(seen)
        return found


def graph_problems(graph: Graph) -> list[Problem]:
    """Every graph problem of ``graph`` (see the module docstring)."""
    starts = [n for n in graph.nodes.values() if n.type == "start"]
    problems = _exit_problems(graph)
    if not starts:
        problems.append(Problem("/nodes", "noStart", "The flow needs a start node."))
    for extra in starts[1:]:
        problems.append(Problem(pointer(extra.at, "type"), "extraStart",
                                "A flow has exactly one start node."))
    if starts:
        reached = graph.reach([starts[0].id])
        problems += [
            Problem(n.at, "unreachable", "No path from the start leads to this node.")
            for n in graph.nodes.values() if n.id not in reached
        ]
    ends = [n.id for n in graph.nodes.values() if n.type == "end"]
    finishing = graph.reach(ends, forward=False)
    problems += [
        Problem(n.at, "noPathToEnd", "No path leads from this node to an end.")
        for n in graph.nodes.values() if n.id not in finishing
    ]
    problems += _sync_cycle_problems(graph)
    problems += _parallel_problems(graph)
    return problems


def _exit_problems(graph: Graph) -> list[Problem]:
    """Edge endpoints and handles against each node type's exits."""
    problems = []
    counts: dict[tuple[str, str | None], int] = {}
    for edge in graph.edges:
        source = graph.nodes[edge.source]
        if edge.source == edge.target:
            problems.append(Problem(pointer(edge.at, "target"), "selfLoop",
                                    "An edge cannot lead back to its own node."))
        if graph.nodes[edge.target].type == "start":
            problems.append(Problem(pointer(edge.at, "target"), "edgeIntoStart",
                                    "Nothing leads into the start node."))
        exits = NODE_TYPES[source.type].exits(source.data)
        if edge.handle not in exits:
            names = ", ".join(repr(h) for h in exits if h) or "none"
            problems.append(Problem(pointer(edge.at, "sourceHandle"), "unknownHandle",
                                    f"A {source.type} node has no such exit (named exits: "
                                    f"{names}; leave sourceHandle empty for the plain exit)."))
            continue
        count = counts[edge.source, edge.handle] = counts.get((edge.source, edge.handle), 0) + 1
        most = exits[edge.handle][1]
        if most is not None and count > most:
            label = f"'{edge.handle}'" if edge.handle else "plain"
            problems.append(Problem(edge.at, "tooManyEdges",
                                    f"A {source.type} node takes at most {most} {label} "
                                    "edge(s) here."))
        problems += _branch_data_problems(edge, source.type)
    for node in graph.nodes.values():
        for handle, (least, _) in NODE_TYPES[node.type].exits(node.data).items():
            if counts.get((node.id, handle), 0) < least:
                label = f"a '{handle}' edge" if handle else "an outgoing edge"
                if least > 1:
                    label = f"at least {least} outgoing edges"
                problems.append(Problem(node.at, "missingEdge", f"This node needs {label}."))
    return problems


def _branch_data_problems(edge: Edge, source_type: str) -> list[Problem]:
    """Only edges leaving an exclusive node carry conditions or a default flag."""
    if source_type == "exclusive":
        return []
    return [
        Problem(pointer(edge.at, "data", name), "conditionNotAllowed",
                "Only edges leaving an exclusive node take a condition or a default.")
        for name in ("when", "default")
        if name in edge.data
    ]


def _sync_cycle_problems(graph: Graph) -> list[Problem]:
    """Cycles through synchronous nodes only (Kosaraju, iterative)."""
    sync = {k for k, n in graph.nodes.items() if not NODE_TYPES[n.type].waits(n.data)}
    succ = {k: [t for t in graph.succ[k] if t in sync and t != k] for k in sync}
    pred: dict[str, list[str]] = {k: [] for k in sync}
    for source, targets in succ.items():
        for target in targets:
            pred[target].append(source)
    order: list[str] = []
    visited: set[str] = set()
    for root in sync:
        if root in visited:
            continue
        visited.add(root)
        stack = [(root, iter(succ[root]))]
        while stack:
            key, children = stack[-1]
            child = next(children, None)
            if child is None:
                order.append(key)
                stack.pop()
            elif child not in visited:
                visited.add(child)
                stack.append((child, iter(succ[child])))
    assigned: set[str] = set()
    problems = []
    for root in reversed(order):
        if root in assigned:
            continue
        component = graph_component(root, pred, assigned)
        if len(component) > 1:
            first = min((graph.nodes[k] for k in component), key=lambda n: n.index)
            problems.append(Problem(first.at, "synchronousCycle",
                                    "This loop has no approval, task or wait: it would never "
                                    "stop. Nodes: " + ", ".join(sorted(component)[:10]) + "."))
    return problems


def graph_component(root: str, pred: dict[str, list[str]], assigned: set[str]) -> set[str]:
    """The strongly connected component of ``root`` in Kosaraju's second pass."""
    component = {root}
    assigned.add(root)
    stack = [root]
    while stack:
        for prev in pred[stack.pop()]:
            if prev not in assigned:
                assigned.add(prev)
                component.add(prev)
                stack.append(prev)
    return component


def _parallel_problems(graph: Graph) -> list[Problem]:
    """Splits name joins; each join has one split; branches stay inside their region."""
    problems = []
    split_of: dict[str, list[Node]] = {}
    for split in (n for n in graph.nodes.values() if n.type == "parallel_split"):
        join_id = split.data.get("join")
        join = graph.nodes.get(join_id) if isinstance(join_id, str) else None
        if join is None or join.type != "parallel_join":
            problems.append(Problem(pointer(split.at, "data", "join"), "unknownJoin",
                                    "Name the parallel_join node where these branches meet."))
            continue
        split_of.setdefault(join.id, []).append(split)
    for join in (n for n in graph.nodes.values() if n.type == "parallel_join"):
        splits = split_of.get(join.id, [])
        if not splits:
            problems.append(Problem(join.at, "joinWithoutSplit",
                                    "No parallel_split names this join."))
        for extra in splits[1:]:
            problems.append(Problem(pointer(extra.at, "data", "join"), "sharedJoin",
                                    "Another split already uses this join."))
        if splits:
            problems += _region_problems(graph, splits[0], join)
    return problems


def _region_problems(graph: Graph, split: Node, join: Node) -> list[Problem]:
    problems: list[Problem] = []
    into_join = [e for e in graph.edges if e.target == join.id]
    claimed: dict[int, int] = {}
    region: set[str] = set()
    for branch in (e for e in graph.edges if e.source == split.id):
        seen = graph.reach([branch.target], stop=frozenset({join.id, split.id}))
        region |= seen - {join.id}
        if any(graph.nodes[k].type == "end" for k in seen):
            problems.append(Problem(branch.at, "branchEscapes",
                                    f"This branch can end before it reaches join '{join.id}'."))
        if split.id in seen:
            problems.append(Problem(branch.at, "branchLoops",
                                    "This branch leads back to its split before the join."))
        if branch.target == join.id:
            mine = [branch]
        else:
            mine = [e for e in into_join if e.source in seen and e.source != join.id]
        if len(mine) != 1:
            problems.append(Problem(branch.at, "branchJoinCount",
                                    f"This branch must reach join '{join.id}' by exactly one "
                                    f"edge (it reaches it by {len(mine)})."))
        for edge in mine:
            if edge.index in claimed and claimed[edge.index] != branch.index:
                problems.append(Problem(edge.at, "branchesMerge",
                                        "Two parallel branches meet here before their join."))
            claimed[edge.index] = branch.index
    problems += [
        Problem(edge.at, "joinOutsideSplit",
                f"This edge reaches join '{join.id}' from outside split '{split.id}'.")
        for edge in into_join if edge.index not in claimed
    ]
    region.discard(split.id)
    problems += [
        Problem(edge.at, "entersParallelRegion",
                f"This edge enters the branches of split '{split.id}' from outside.")
        for edge in graph.edges
        if edge.target in region and edge.source not in region and edge.source != split.id
    ]
    problems += [
        Problem(pointer(graph.nodes[source].at, "data", "returnTo"), "entersParallelRegion",
                f"This return enters the branches of split '{split.id}' from outside.")
        for source, target in graph.returns.items()
        if target in region and source not in region
    ]
    return problems
