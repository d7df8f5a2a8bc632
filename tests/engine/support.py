"""Helpers for engine tests: a fake directory, flow builders and a checked instance."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from runtime.engine import (
    Context,
    Effect,
    Event,
    open_tasks,
    pending_jobs,
    pending_timers,
    start,
    step,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class FakeDirectory:
    """Users by email, teams as member lists, escalation as a manager chain."""

    def __init__(
        self,
        teams: dict[str, list[str]] | None = None,
        managers: dict[str, str] | None = None,
    ) -> None:
        self.teams = teams or {"leads": ["ann@x", "bob@x", "cat@x"]}
        self.managers = managers or {}

    def approvers(self, selectors: Any, data: Any) -> list[str]:
        """Resolve user, team and field selectors."""
        found: list[str] = []
        for selector in selectors:
            if selector.get("kind") == "user":
                found.append(selector["user"])
            elif selector.get("kind") == "team":
                found.extend(self.teams.get(selector["team"], []))
            elif selector.get("kind") == "field" and selector["field"] in data:
                found.append(data[selector["field"]])
        return list(dict.fromkeys(found))

    def escalation_target(self, approver_email: str) -> str | None:
        """The manager of ``approver_email``."""
        return self.managers.get(approver_email)


def node(node_id: str, node_type: str, **data: Any) -> dict[str, Any]:
    """A flow node."""
    return {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0}, "data": data}


def edge(source: str, target: str, handle: str | None = None, **data: Any) -> dict[str, Any]:
    """A flow edge (id from its ends and handle)."""
    edge_id = f"{source}-{handle or 'out'}-{target}"
    return {"id": edge_id, "source": source, "target": target, "sourceHandle": handle, "data": data}


def make_flow(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    """A formatVersion 1 flow."""
    return {
        "formatVersion": 1,
        "key": "test",
        "title": {"en": "Test"},
        "nodes": nodes,
        "edges": edges,
    }


def chain(*middle: dict[str, Any], outcome: str = "resolved") -> dict[str, Any]:
    """start -> middle... -> end, each joined by its normal exit."""
    nodes = [node("start", "start"), *middle, node("end", "end", outcome=outcome)]
    edges = [edge(a["id"], b["id"]) for a, b in itertools.pairwise(nodes)]
    return make_flow(nodes, edges)


def approval_flow(**data: Any) -> dict[str, Any]:
    """start -> approval ``ap`` -> approved: end ``yes``, rejected: end ``no``."""
    data.setdefault("approvers", [{"kind": "team", "team": "leads"}])
    nodes = [
        node("start", "start"),
        node("ap", "approval", **data),
        node("yes", "end", outcome="resolved"),
        node("no", "end", outcome="rejected"),
    ]
    edges = [edge("start", "ap"), edge("ap", "yes", "approved"), edge("ap", "no", "rejected")]
    return make_flow(nodes, edges)


class Instance:
    """A flow instance driven through start/step, checking every state and effect key."""

    def __init__(
        self,
        flow: dict[str, Any],
        data: dict[str, Any] | None = None,
        directory: FakeDirectory | None = None,
    ) -> None:
        self.flow = flow
        self.ctx = Context(now=T0, data=data or {}, directory=directory or FakeDirectory())
        self.keys: set[str] = set()
        self.history: list[Effect] = []
        self.state, self.effects = start(flow, self.ctx)
        self._check()

    def _check(self) -> None:
        assert json.loads(json.dumps(self.state)) == self.state
        for effect in self.effects:
            assert effect.key not in self.keys, f"effect key reused: {effect.key}"
            self.keys.add(effect.key)
        self.history.extend(self.effects)

    def send(self, event: Event, later: timedelta = timedelta(0)) -> list[Effect]:
        """Deliver ``event`` (``later`` after T0) and return the effects."""
        before = json.dumps(self.state)
        ctx = replace(self.ctx, now=self.ctx.now + later)
        self.state, self.effects = step(self.flow, self.state, event, ctx)
        assert json.dumps(self.state) == before or self.effects, "state changed silently"
        self._check()
        return self.effects

    def decide(self, task: str, decision: str = "approve", by: str = "ann@x") -> list[Effect]:
        """Deliver ``task.decided``."""
        return self.send(Event.decided(task, decision, by))

    def fire(self, timer: str | None = None, later: timedelta = timedelta(days=30)) -> list[Effect]:
        """Fire ``timer`` (default: the only pending one)."""
        if timer is None:
            (timer,) = self.timers
        return self.send(Event.timer_fired(timer), later)

    @property
    def tasks(self) -> list[str]:
        """Open task keys."""
        return open_tasks(self.state)

    @property
    def timers(self) -> list[str]:
        """Pending timer keys."""
        return pending_timers(self.state)

    @property
    def jobs(self) -> list[str]:
        """Pending job keys."""
        return pending_jobs(self.state)

    @property
    def ended(self) -> bool:
        """Whether no token is left."""
        return bool(self.state["ended"])

    def of(self, kind: type, effects: list[Effect] | None = None) -> list[Any]:
        """The effects of type ``kind`` among ``effects`` (default: the last call's)."""
        return [e for e in (self.effects if effects is None else effects) if isinstance(e, kind)]
