"""Start, end, assign, exclusive branches and parallel split/join."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from builder.conditions import condition_matches
from core.errors import IllegalTransition
from runtime.engine.effects import Assign, Finish
from runtime.engine.explain import explain
from runtime.engine.graph import edge_data
from runtime.engine.nodes.registry import NodeType, register

if TYPE_CHECKING:
    from runtime.engine.run import Run
    from runtime.engine.state import Token


@register
class StartNode(NodeType):
    """The entry: the token leaves by the one outgoing edge."""

    name = "start"

    def enter(self, run: Run, token: Token) -> None:
        """Continue along the only edge."""
        run.follow(token)


@register
class EndNode(NodeType):
    """An end: the token ends with the node's ``outcome``."""

    name = "end"

    def enter(self, run: Run, token: Token) -> None:
        """Drop the token and emit ``Finish`` (``final`` when no token remains)."""
        outcome = str(run.graph.data(token["node"]).get("outcome", "resolved"))
        run.drop(token)
        final = not run.state["tokens"]
        if final:
            run.state["outcome"] = outcome
        run.emit(
            Finish(key=run.key("finish", token), node=token["node"], outcome=outcome, final=final)
        )


@register
class AssignNode(NodeType):
    """Assignment: emit ``Assign`` with the strategy and continue."""

    name = "assign"

    def enter(self, run: Run, token: Token) -> None:
        """Emit ``Assign`` and continue."""
        data = run.graph.data(token["node"])
        strategy = str(data.pop("strategy", ""))
        run.emit(
            Assign(key=run.key("assign", token), node=token["node"], strategy=strategy, params=data)
        )
        run.follow(token)


def _priority(edge: dict[str, Any]) -> float:
    value = edge_data(edge).get("priority")
    return float(value) if isinstance(value, int | float) else math.inf


@register
class ExclusiveNode(NodeType):
    """Exclusive branch: by ``priority``, the first edge whose ``when`` matches, else default."""

    name = "exclusive"

    def enter(self, run: Run, token: Token) -> None:
        """Choose one edge, record why, and move on."""
        edges = run.graph.outgoing.get(token["node"], [])
        candidates = sorted((e for e in edges if not edge_data(e).get("default")), key=_priority)
        tried: list[str] = []
        reasons: list[str] = []
        for edge in candidates:
            tried.append(edge["id"])
            when = edge_data(edge).get("when")
            if when is None:
                self._take(run, token, edge, tried, "edge without a condition", default=False)
                return
            matched = condition_matches(when, run.data)
            reasons.append(explain(when, run.data, matched))
            if matched:
                self._take(run, token, edge, tried, reasons[-1], default=False)
                return
        default = next((e for e in edges if edge_data(e).get("default")), None)
        if default is None:
            raise IllegalTransition(
                f"no condition of exclusive node {token['node']!r} matched and it has no default"
            )
        reason = "no condition matched, took the default edge"
        if reasons:
            reason = "; ".join(reasons) + "; took the default edge"
        self._take(run, token, default, tried, reason, default=True)

    @staticmethod
    def _take(
        run: Run,
        token: Token,
        edge: dict[str, Any],
        tried: list[str],
        reason: str,
        *,
        default: bool,
    ) -> None:
        detail = {
            "tried": tried,
            "matched": None if default else edge["id"],
            "default": default,
            "edge": edge["id"],
            "target": edge["target"],
            "reason": reason,
        }
        run.record(token, "branch", detail)
        run.move(token, edge)


@register
class ParallelSplitNode(NodeType):
    """Parallel split: one new token per outgoing edge, each in a new branch frame."""

    name = "parallel_split"

    def enter(self, run: Run, token: Token) -> None:
        """Replace the token by one token per outgoing edge."""
        run.drop(token)
        for edge in run.graph.outgoing.get(token["node"], []):
            branch = run.spawn(token["node"], [*token["frames"], [token["node"], edge["id"]]])
            run.move(branch, edge)


@register
class ParallelJoinNode(NodeType):
    """Parallel join: park arrivals until one came by every incoming edge, then merge."""

    name = "parallel_join"

    def enter(self, run: Run, token: Token) -> None:
        """Park the token; when every incoming edge has one, continue with one token."""
        node = token["node"]
        run.park(token, {"kind": "join", "edge": token["via"]})
        parked = [
            t for t in run.state["tokens"].values() if t["node"] == node and t["wait"] is not None
        ]
        merged: list[Token] = []
        for edge in run.graph.incoming.get(node, []):
            arrival = next((t for t in parked if t["wait"].get("edge") == edge["id"]), None)
            if arrival is None:
                return
            merged.append(arrival)
        for arrival in merged:
            run.drop(arrival)
        frames = [list(frame) for frame in token["frames"]]
        if frames and run.graph.data(frames[-1][0]).get("join") == node:
            frames.pop()
        successor = run.spawn(node, frames)
        successor["round"] = token["round"]
        run.follow(successor)
