"""Read-only view of a flow definition: nodes by id, edges by source and target."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import IllegalTransition

#: Handles that name a special outcome; an edge with none of them is a node's normal exit.
SPECIAL_HANDLES = frozenset({"approved", "rejected", "timeout"})


def edge_data(edge: Mapping[str, Any]) -> dict[str, Any]:
    """The ``data`` of an edge, empty when absent."""
    return dict(edge.get("data") or {})


class Graph:
    """Nodes and edges of one published flow, indexed for the engine."""

    def __init__(self, flow: Mapping[str, Any]) -> None:
        self.nodes: dict[str, dict[str, Any]] = {node["id"]: node for node in flow["nodes"]}
        self.outgoing: dict[str, list[dict[str, Any]]] = {key: [] for key in self.nodes}
        self.incoming: dict[str, list[dict[str, Any]]] = {key: [] for key in self.nodes}
        for edge in flow["edges"]:
            self.outgoing.setdefault(edge["source"], []).append(edge)
            self.incoming.setdefault(edge["target"], []).append(edge)

    def node(self, node_id: str) -> dict[str, Any]:
        """The node ``node_id``; an unknown id is an illegal transition."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise IllegalTransition(f"the flow has no node {node_id!r}") from None

    def data(self, node_id: str) -> dict[str, Any]:
        """The ``data`` of node ``node_id``."""
        return dict(self.node(node_id).get("data") or {})

    def start_node(self) -> str:
        """The id of the flow's start node."""
        for node_id, node in self.nodes.items():
            if node["type"] == "start":
                return node_id
        raise IllegalTransition("the flow has no start node")

    def exit(self, node_id: str, handle: str | None = None) -> dict[str, Any] | None:
        """The edge leaving ``node_id`` by ``handle`` (None: the normal exit), or None."""
        for edge in self.outgoing.get(node_id, []):
            edge_handle = edge.get("sourceHandle") or None
            if edge_handle == handle or (handle is None and edge_handle not in SPECIAL_HANDLES):
                return edge
        return None

    def required_exit(self, node_id: str, handle: str | None = None) -> dict[str, Any]:
        """The edge leaving ``node_id`` by ``handle``; its absence is an illegal transition."""
        edge = self.exit(node_id, handle)
        if edge is None:
            where = f"by handle {handle!r}" if handle else "at all"
            raise IllegalTransition(f"no edge leaves node {node_id!r} {where}")
        return edge
