"""Dry runs: start an instance and answer every wait until it ends, explaining each step."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from runtime.engine.context import Context
from runtime.engine.effects import CreateTask, Effect, Record, SetTimer
from runtime.engine.events import Event
from runtime.engine.graph import Graph
from runtime.engine.machine import start, step
from runtime.engine.state import State, open_waits

#: Events a simulation delivers before it gives up (a flow that loops on rejections).
MAX_SIMULATION_EVENTS = 200


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """The nodes entered in order, a reason per entry, and the outcome (None: unfinished)."""

    path: list[str]
    steps: list[dict[str, str]]
    outcome: str | None
    ended: bool
    effects: list[Effect]

    def as_dict(self) -> dict[str, Any]:
        """The result as the simulate endpoint returns it."""
        return {
            "path": self.path,
            "steps": self.steps,
            "outcome": self.outcome,
            "ended": self.ended,
        }


def simulate(
    flow: Mapping[str, Any],
    ctx: Context,
    decisions: Mapping[str, str] | None = None,
    max_events: int = MAX_SIMULATION_EVENTS,
) -> SimulationResult:
    """Run ``flow`` approving (or per ``decisions`` {node: approve|reject}) every wait."""
    state, effects = start(flow, ctx)
    now = ctx.now
    for _ in range(max_events):
        if state["ended"]:
            break
        answer = _next_event(state, effects, decisions or {}, now)
        if answer is None:
            break
        event, now = answer
        state, new = step(flow, state, event, replace(ctx, now=now))
        effects.extend(new)
    ended = bool(state["ended"])
    steps = _explain_steps(Graph(flow), state["path"], effects)
    return SimulationResult(
        list(state["path"]), steps, state["outcome"] if ended else None, ended, effects
    )


def _next_event(
    state: State, effects: list[Effect], decisions: Mapping[str, str], now: datetime
) -> tuple[Event, datetime] | None:
    """The event that answers the first wait (timers last, earliest first), or None."""
    holders = {e.task: e.assignee or "simulation" for e in effects if isinstance(e, CreateTask)}
    timers: list[tuple[datetime, str]] = []
    due = {e.timer: e.due_at for e in effects if isinstance(e, SetTimer)}
    for wait in open_waits(state):
        if wait.get("open"):
            task = wait["open"][0]
            decision = (
                "complete" if wait["kind"] == "task" else decisions.get(wait["node"], "approve")
            )
            return Event.decided(task, decision, holders.get(task, "simulation")), now
        if wait.get("job"):
            return Event.job_done(wait["job"], {}), now
        if wait.get("event"):
            return Event(wait["event"], {}), now
        if wait.get("timer"):
            timers.append((due[wait["timer"]], wait["timer"]))
    if not timers:
        return None
    due_at, timer = min(timers)
    return Event.timer_fired(timer), max(now, due_at)


_ENTRY_TEXT = {
    "start": "started",
    "assign": "assigned ({strategy})",
    "action": "action {action}",
    "user_task": "user task",
    "wait": "waited ({for})",
    "parallel_split": "split into parallel branches",
    "parallel_join": "arrived at the join",
    "end": "ended ({outcome})",
}


def _explain_steps(graph: Graph, path: list[str], effects: list[Effect]) -> list[dict[str, str]]:
    """One ``{"node", "reason"}`` per entry of ``path``."""
    records: dict[tuple[str, str], deque[Record]] = defaultdict(deque)
    for effect in effects:
        if isinstance(effect, Record):
            records[effect.node, effect.kind].append(effect)
    steps = []
    for node_id in path:
        node_type = graph.node(node_id)["type"]
        data = graph.data(node_id)
        if node_type == "exclusive":
            reason = records[node_id, "branch"].popleft().detail["reason"]
        elif node_type == "approval":
            outcomes = records[node_id, "approval.outcome"]
            if outcomes:
                detail = outcomes.popleft().detail
                reason = f"{detail['outcome']} ({detail['reason']})"
            else:
                reason = "waiting for approval"
        else:
            values = defaultdict(str, {"outcome": "resolved"})
            values.update({key: str(value) for key, value in data.items()})
            reason = _ENTRY_TEXT.get(node_type, node_type).format_map(values)
        steps.append({"node": node_id, "reason": reason})
    return steps
