"""One call's worth of work: a mutable copy of the state, the effects, the ready tokens."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.errors import IllegalTransition
from runtime.engine.context import Context
from runtime.engine.effects import CancelTimer, Effect, Record, SetTimer
from runtime.engine.graph import Graph
from runtime.engine.nodes.registry import handler_for
from runtime.engine.state import State, Token

#: Node entries one ``start``/``step`` call may make before the graph is deemed cyclic.
MAX_SYNC_STEPS = 1000


class Run:
    """The working set of one ``start`` or ``step`` call; node handlers act through it."""

    def __init__(self, graph: Graph, state: State, ctx: Context) -> None:
        self.graph = graph
        self.state = state
        self.ctx = ctx
        self.effects: list[Effect] = []
        self.ready: list[str] = []
        self.steps = 0

    @property
    def data(self) -> Mapping[str, Any]:
        """The condition data of the ticket."""
        return self.ctx.data

    @property
    def now(self) -> datetime:
        """The time of this call."""
        return self.ctx.now

    def emit(self, effect: Effect) -> None:
        """Queue ``effect`` for the runner."""
        self.effects.append(effect)

    def spawn(self, node: str, frames: list[list[str]]) -> Token:
        """A new token at ``node`` (not scheduled) in the parallel branches ``frames``."""
        self.state["seq"] += 1
        token_id = f"t{self.state['seq']}"
        token: Token = {
            "id": token_id,
            "node": node,
            "via": None,
            "round": 0,
            "serial": 0,
            "frames": [list(frame) for frame in frames],
            "wait": None,
        }
        self.state["tokens"][token_id] = token
        return token

    def _schedule(self, token: Token) -> None:
        token["wait"] = None
        self.ready.append(token["id"])

    def move(self, token: Token, edge: Mapping[str, Any]) -> None:
        """Send ``token`` along ``edge`` to enter its target."""
        token["node"], token["via"] = edge["target"], edge["id"]
        self._schedule(token)

    def follow(self, token: Token, handle: str | None = None) -> None:
        """Send ``token`` out of its node by ``handle`` (None: the normal exit)."""
        self.move(token, self.graph.required_exit(token["node"], handle))

    def jump(self, token: Token, node: str) -> None:
        """Send ``token`` straight to ``node`` (``returnTo``), not along an edge."""
        self.graph.node(node)
        token["node"], token["via"] = node, None
        self._schedule(token)

    def park(self, token: Token, wait: dict[str, Any]) -> None:
        """Make ``token`` wait for ``wait`` (see ``state``)."""
        token["wait"] = wait

    def drop(self, token: Token) -> None:
        """Remove ``token``: it ended or merged at a join."""
        self.state["tokens"].pop(token["id"], None)

    def key(self, prefix: str, token: Token, *parts: object) -> str:
        """An effect key: ``prefix:node:rROUND[:part...]``."""
        return ":".join([prefix, token["node"], f"r{token['round']}", *map(str, parts)])

    def serial(self, token: Token) -> int:
        """The next number of a repeated effect of this token's current visit."""
        token["serial"] += 1
        return int(token["serial"])

    def record(self, token: Token, kind: str, detail: dict[str, Any], *parts: object) -> None:
        """Emit a timeline ``Record`` for the token's node."""
        key = self.key("record", token, kind, *parts)
        self.emit(Record(key=key, node=token["node"], kind=kind, detail=detail))

    def set_timer(self, token: Token, due_at: datetime, purpose: str) -> str:
        """Emit a new ``SetTimer`` for ``token`` and return its (never reused) key."""
        timer = self.key("timer", token, self.serial(token))
        self.emit(
            SetTimer(key=timer, timer=timer, node=token["node"], due_at=due_at, purpose=purpose)
        )
        return timer

    def cancel_timer(self, token: Token, timer: str | None) -> None:
        """Emit ``CancelTimer`` for ``timer`` when there is one."""
        if timer:
            self.emit(CancelTimer(key=f"cancel:{timer}", timer=timer, node=token["node"]))

    def drain(self) -> None:
        """Enter nodes with ready tokens until every token waits or has ended."""
        while self.ready:
            token = self.state["tokens"][self.ready.pop(0)]
            self.steps += 1
            if self.steps > MAX_SYNC_STEPS:
                recent = " -> ".join(self.state["path"][-8:])
                raise IllegalTransition(
                    f"more than {MAX_SYNC_STEPS} synchronous steps in one call: the flow "
                    f"loops without waiting (last nodes: {recent})"
                )
            node = self.graph.node(token["node"])
            visits = self.state["visits"]
            visits[node["id"]] = visits.get(node["id"], 0) + 1
            token["round"], token["serial"] = visits[node["id"]], 0
            self.state["path"].append(node["id"])
            handler_for(node["type"]).enter(self, token)
