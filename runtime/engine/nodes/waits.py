"""Waits: for a duration, until a date, or for the requester's reply (with a timeout)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import IllegalTransition
from runtime.engine.durations import parse_date, parse_duration
from runtime.engine.events import Event, EventKind
from runtime.engine.nodes.registry import NodeType, register

if TYPE_CHECKING:
    from runtime.engine.run import Run
    from runtime.engine.state import Token

#: Wait-node event names and the engine event that answers each.
WAITABLE_EVENTS = {"requester.replied": EventKind.TICKET_REPLIED.value}


@register
class WaitNode(NodeType):
    """A pause; ``data.for`` is ``duration``, ``date`` or ``event``."""

    name = "wait"

    def enter(self, run: Run, token: Token) -> None:
        """Set the timer (or listen for the event), or continue when the date has passed."""
        data = run.graph.data(token["node"])
        kind = data.get("for")
        if kind == "duration":
            timer = run.set_timer(token, run.now + parse_duration(data["duration"]), "wait")
            run.park(token, {"kind": "timer", "timer": timer})
        elif kind == "date":
            raw = data["date"] if "date" in data else run.data.get(str(data.get("field")))
            due_at = parse_date(raw)
            if due_at is None or due_at <= run.now:
                reason = "no date" if due_at is None else "date already passed"
                run.record(token, "wait.skipped", {"reason": reason, "date": raw})
                run.follow(token)
                return
            run.park(token, {"kind": "timer", "timer": run.set_timer(token, due_at, "wait")})
        elif kind == "event" and data.get("event") in WAITABLE_EVENTS:
            timer = None
            if data.get("timeout"):
                due_at = run.now + parse_duration(data["timeout"])
                timer = run.set_timer(token, due_at, "timeout")
            event = WAITABLE_EVENTS[data["event"]]
            run.park(token, {"kind": "event", "event": event, "timer": timer})
        else:
            raise IllegalTransition(f"wait node {token['node']!r} cannot wait for {kind!r}")

    def handle(self, run: Run, token: Token, event: Event) -> None:
        """The timer continues (by ``timeout`` for an event wait); the event continues."""
        wait = token["wait"]
        if event.kind == EventKind.TIMER_FIRED:
            wait["timer"] = None
            has_timeout = run.graph.exit(token["node"], "timeout") is not None
            run.follow(token, "timeout" if wait["kind"] == "event" and has_timeout else None)
        else:
            run.cancel_timer(token, wait["timer"])
            run.follow(token)
