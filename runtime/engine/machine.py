"""``start`` and ``step``: the engine's two entry points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.engine.context import Context
from runtime.engine.effects import CloseTasks, Effect, Finish
from runtime.engine.events import Event, EventKind
from runtime.engine.graph import Graph
from runtime.engine.nodes import handler_for
from runtime.engine.run import Run
from runtime.engine.state import State, Token, new_state

_graphs: dict[int, tuple[Mapping[str, Any], Graph]] = {}


def _graph(flow: Mapping[str, Any]) -> Graph:
    """The indexed graph of ``flow``, built once per flow object (published flows are
    immutable and the runner reuses one object per version)."""
    cached = _graphs.get(id(flow))
    if cached is None or cached[0] is not flow:
        if len(_graphs) >= 256:
            _graphs.clear()
        cached = _graphs[id(flow)] = (flow, Graph(flow))
    return cached[1]


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (several times faster than ``copy.deepcopy``)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def start(flow: Mapping[str, Any], ctx: Context) -> tuple[State, list[Effect]]:
    """A new instance of ``flow``: run from the start node until every token waits."""
    graph = _graph(flow)
    run = Run(graph, new_state(), ctx)
    run.jump(run.spawn(graph.start_node(), []), graph.start_node())
    run.drain()
    _settle(run)
    return run.state, run.effects


def step(
    flow: Mapping[str, Any], state: State, event: Event, ctx: Context
) -> tuple[State, list[Effect]]:
    """Apply ``event`` to ``state`` (not modified); an event that does not apply changes nothing."""
    if state.get("ended") or not isinstance(event.payload, Mapping):
        return state, []
    run = Run(_graph(flow), _copy(state), ctx)
    if event.kind == EventKind.CANCEL:
        _cancel(run)
    else:
        # Handlers only schedule tokens (nothing runs until ``drain``), so every addressed
        # token is still waiting when its turn comes.
        for token in _addressed(run.state, event):
            handler_for(run.graph.node(token["node"])["type"]).handle(run, token, event)
    run.drain()
    _settle(run)
    if not run.effects and run.state == state:
        return state, []
    return run.state, run.effects


def _addressed(state: State, event: Event) -> list[Token]:
    """The waiting tokens ``event`` is for (none when it does not apply)."""
    payload = event.payload
    found = []
    for token in state["tokens"].values():
        wait = token["wait"] or {}
        if event.kind == EventKind.TASK_DECIDED:
            hit = isinstance(payload.get("task"), str) and payload["task"] in wait.get("open", [])
        elif event.kind == EventKind.TIMER_FIRED:
            hit = bool(wait.get("timer")) and payload.get("timer") == wait.get("timer")
        elif event.kind in (EventKind.JOB_DONE, EventKind.JOB_FAILED):
            hit = bool(wait.get("job")) and payload.get("effect") == wait.get("job")
        else:
            hit = event.kind == EventKind.TICKET_REPLIED and wait.get("event") == event.kind
        if hit:
            found.append(token)
    return found


def _cancel(run: Run) -> None:
    """End every token with outcome ``cancelled``, closing tasks and timers."""
    tasks: list[str] = []
    for token in run.state["tokens"].values():
        wait = token["wait"] or {}
        tasks.extend(wait.get("open", []))
        run.cancel_timer(token, wait.get("timer"))
    if tasks:
        run.emit(CloseTasks(key="close:cancel", node="", tasks=tuple(tasks), reason="cancelled"))
    run.state["tokens"].clear()
    run.state["outcome"] = "cancelled"
    run.emit(Finish(key="finish:cancel", node="", outcome="cancelled", final=True))


def _settle(run: Run) -> None:
    """Mark the instance ended once no token is left."""
    if not run.state["tokens"]:
        run.state["ended"] = True
