"""The flow engine: a pure step function over a published flow graph (no I/O, no clock).

How it works. An instance is a JSON-ready ``state`` dict holding *tokens*. ``start``
puts one token on the start node; the engine then *drains*: every ready token enters its
node, whose handler (one ``NodeType`` per node type, registered by name in
``nodes.registry``) either moves it on along an edge, replaces it (a parallel split makes
one token per outgoing edge; a join merges one token from every incoming edge into one),
drops it (an end node), or *parks* it with a ``wait``: open tasks (approval, user_task),
a pending job (webhook, lookup), a timer (wait, approval due) or an event (the requester's
reply). Draining stops when every token waits; a call that enters more than
``MAX_SYNC_STEPS`` nodes raises ``IllegalTransition`` (a cycle of synchronous nodes).

``step`` delivers one *event* (task decided, timer fired, job done or failed, ticket
replied, cancel) to the tokens whose wait it answers and drains again. An event that
answers no wait (an unknown or closed task, a fired or cancelled timer, a duplicate
``job.done``) changes nothing and yields no effects, so the runner may deliver twice.

Nothing happens in the world here: each call returns *effects* (frozen dataclasses in
``effects``, each with a ``key`` unique within the instance) for the runner to apply in
the same transaction or through the outbox. The instance has ended when no token is left
(``state["ended"]``; the last ``Finish`` has ``final=True``).
"""

from runtime.engine.approvals import Mode, Outcome, tally
from runtime.engine.context import Context, Directory
from runtime.engine.durations import parse_date, parse_duration
from runtime.engine.effects import (
    Assign,
    CallWebhook,
    CancelTimer,
    CloseTasks,
    CreateTask,
    Effect,
    Escalate,
    Finish,
    Lookup,
    Notify,
    Record,
    SetTicket,
    SetTimer,
    effect_as_dict,
)
from runtime.engine.events import Event, EventKind
from runtime.engine.explain import describe, explain
from runtime.engine.machine import start, step
from runtime.engine.run import MAX_SYNC_STEPS
from runtime.engine.simulate import SimulationResult, simulate
from runtime.engine.state import open_tasks, open_waits, pending_jobs, pending_timers

__all__ = [
    "MAX_SYNC_STEPS",
    "Assign",
    "CallWebhook",
    "CancelTimer",
    "CloseTasks",
    "Context",
    "CreateTask",
    "Directory",
    "Effect",
    "Escalate",
    "Event",
    "EventKind",
    "Finish",
    "Lookup",
    "Mode",
    "Notify",
    "Outcome",
    "Record",
    "SetTicket",
    "SetTimer",
    "SimulationResult",
    "describe",
    "effect_as_dict",
    "explain",
    "open_tasks",
    "open_waits",
    "parse_date",
    "parse_duration",
    "pending_jobs",
    "pending_timers",
    "simulate",
    "start",
    "step",
    "tally",
]
