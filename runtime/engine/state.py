"""The instance state: a JSON-ready dict of tokens, node rounds and the path taken.

Shape (``version`` 1)::

    {"version": 1, "seq": 3, "ended": false, "outcome": null,
     "visits": {"leads": 1}, "path": ["start", "route", "leads"],
     "tokens": {"t1": {"id": "t1", "node": "leads", "via": "e2", "round": 1, "serial": 1,
                       "frames": [], "wait": WAIT}}}

``frames`` lists the ``[split node, edge]`` pairs of the parallel branches a token is in.
``WAIT`` says what a token waits for: ``approval`` (``open`` task keys, ``timer``, votes),
``task`` (``open``), ``job`` (``job``: the effect key), ``timer`` (``timer``), ``event``
(``event``, optional ``timer``) or ``join`` (``edge`` it arrived by).
"""

from __future__ import annotations

from typing import Any

STATE_VERSION = 1

Token = dict[str, Any]
State = dict[str, Any]


def new_state() -> State:
    """An instance state with no token yet."""
    return {
        "version": STATE_VERSION,
        "seq": 0,
        "ended": False,
        "outcome": None,
        "visits": {},
        "path": [],
        "tokens": {},
    }


def open_waits(state: State) -> list[dict[str, Any]]:
    """What the instance waits for: one entry per waiting token (``token``, ``node``, wait)."""
    return [
        {"token": token["id"], "node": token["node"], **token["wait"]}
        for token in state["tokens"].values()
        if token["wait"] is not None
    ]


def open_tasks(state: State) -> list[str]:
    """The keys of every open task of the instance."""
    return [key for wait in open_waits(state) for key in wait.get("open", [])]


def pending_timers(state: State) -> list[str]:
    """The keys of every timer the instance still waits for."""
    return [wait["timer"] for wait in open_waits(state) if wait.get("timer")]


def pending_jobs(state: State) -> list[str]:
    """The effect keys of every webhook or lookup the instance waits for."""
    return [wait["job"] for wait in open_waits(state) if wait.get("job")]
