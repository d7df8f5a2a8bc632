"""Waits, cancel, ignored events, the loop guard, bad graphs and engine values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import IllegalTransition
from runtime.engine import (
    MAX_SYNC_STEPS,
    CancelTimer,
    CloseTasks,
    Context,
    Event,
    Finish,
    Record,
    SetTimer,
    effect_as_dict,
    parse_date,
    parse_duration,
    start,
    step,
)
from tests.engine.support import T0, FakeDirectory, Instance, chain, edge, make_flow, node

VIP = {"properties": {"level": {"const": "vip"}}, "required": ["level"]}


def test_wait_duration_sets_timer_and_fires_once() -> None:
    """A duration wait sets a timer; firing continues; a second firing does nothing."""
    instance = Instance(chain(node("w", "wait", **{"for": "duration", "duration": "P1DT2H"})))
    (timer,) = instance.of(SetTimer)
    assert timer.due_at == T0 + timedelta(days=1, hours=2) and timer.purpose == "wait"
    assert instance.fire("timer:other") == []
    instance.fire(timer.timer)
    assert instance.ended
    assert instance.fire(timer.timer) == []


def test_wait_date_future_past_and_missing() -> None:
    """A date wait sets a timer for a future date and continues at once otherwise."""
    future = Instance(chain(node("w", "wait", **{"for": "date", "date": "2025-04-01T00:00:00Z"})))
    assert future.of(SetTimer)[0].due_at == parse_date("2025-04-01T00:00:00+00:00")
    by_field = Instance(
        chain(node("w", "wait", **{"for": "date", "field": "d"})), {"d": "2020-01-01"}
    )
    assert by_field.ended and by_field.of(Record)[0].detail["reason"] == "date already passed"
    missing = Instance(chain(node("w", "wait", **{"for": "date", "field": "d"})), {"d": "soon"})
    assert missing.ended and missing.of(Record)[0].detail["reason"] == "no date"


def reply_flow(timeout: str | None) -> dict:
    """start -> wait for reply (optional timeout -> end ``late``) -> end."""
    data = {"for": "event", "event": "requester.replied"}
    nodes = [
        node("start", "start"),
        node("w", "wait", **data),
        node("end", "end"),
        node("late", "end", outcome="cancelled"),
    ]
    edges = [edge("start", "w"), edge("w", "end")]
    if timeout:
        nodes[1]["data"]["timeout"] = timeout
        edges.append(edge("w", "late", "timeout"))
    return make_flow(nodes, edges)


def test_wait_for_reply_continues_on_reply_and_cancels_timeout() -> None:
    """A reply continues by the normal exit and cancels the timeout timer."""
    instance = Instance(reply_flow("P3D"))
    (timer,) = instance.of(SetTimer)
    assert timer.purpose == "timeout"
    instance.send(Event.replied())
    assert instance.of(CancelTimer)[0].timer == timer.timer
    assert instance.state["path"][-1] == "end"
    assert instance.fire(timer.timer) == []


def test_wait_for_reply_timeout_follows_timeout_handle() -> None:
    """The timeout timer sends the token out by the ``timeout`` handle."""
    instance = Instance(reply_flow("P3D"))
    instance.fire()
    assert instance.state["outcome"] == "cancelled"
    no_timeout = Instance(reply_flow(None))
    assert no_timeout.timers == []
    assert no_timeout.send(Event.timer_fired("x")) == []
    no_timeout.send(Event.replied())
    assert no_timeout.ended


def test_wait_for_unknown_thing_raises() -> None:
    """A wait for an event the engine does not know is an illegal transition."""
    with pytest.raises(IllegalTransition, match="cannot wait"):
        Instance(chain(node("w", "wait", **{"for": "event", "event": "moon.full"})))


def test_cancel_closes_tasks_timers_and_finishes() -> None:
    """Cancel closes every open task and timer and ends with outcome cancelled."""
    flow = chain(
        node("u", "user_task", assignee={"kind": "user", "user": "ann@x"}),
        node("w", "wait", **{"for": "duration", "duration": "PT1H"}),
    )
    instance = Instance(flow)
    effects = instance.send(Event.cancel())
    assert instance.of(CloseTasks)[0].tasks == ("task:u:r1:s0",)
    assert [e.outcome for e in instance.of(Finish)] == ["cancelled"]
    assert instance.ended and instance.state["outcome"] == "cancelled"
    assert instance.send(Event.cancel()) == [] and effects
    waiting = Instance(chain(node("w", "wait", **{"for": "duration", "duration": "PT1H"})))
    waiting.send(Event.cancel())
    assert waiting.of(CloseTasks) == [] and len(waiting.of(CancelTimer)) == 1


def test_events_that_do_not_apply_are_ignored() -> None:
    """Unknown kinds, bad payloads and unknown keys change nothing and never raise."""
    instance = Instance(chain(node("u", "user_task", assignee={"kind": "user", "user": "a@x"})))
    state = instance.state
    ctx = instance.ctx
    for event in [
        Event("nonsense", {}),
        Event("task.decided", {"task": 3}),
        Event("task.decided", {}),
        Event("timer.fired", {"timer": None}),
        Event("job.done", {}),
        Event("ticket.replied", {}),
        Event("task.decided", ["not", "a", "dict"]),
    ]:  # type: ignore[arg-type]
        assert step(instance.flow, state, event, ctx) == (state, [])


def test_step_does_not_modify_its_input_state() -> None:
    """``step`` returns a new state and leaves the given one as it was."""
    instance = Instance(chain(node("u", "user_task", assignee={"kind": "user", "user": "a@x"})))
    before = repr(instance.state)
    old = instance.state
    instance.decide("task:u:r1:s0", "complete")
    assert repr(old) == before and instance.state is not old


def test_loop_guard_raises_on_synchronous_cycle() -> None:
    """A cycle of synchronous nodes stops after MAX_SYNC_STEPS with IllegalTransition."""
    flow = make_flow(
        [
            node("start", "start"),
            node("a", "assign", strategy="user", user="a@x"),
            node("x", "exclusive"),
            node("end", "end"),
        ],
        [
            edge("start", "a"),
            edge("a", "x"),
            edge("x", "a", default=True),
            edge("x", "end", priority=1, when=VIP),
        ],
    )
    with pytest.raises(IllegalTransition, match=f"more than {MAX_SYNC_STEPS} synchronous"):
        Instance(flow)


def test_bad_graphs_raise_illegal_transition() -> None:
    """Unknown node types, missing nodes, edges or start are illegal transitions."""
    ctx = Context(T0, {}, FakeDirectory())
    cases = [
        make_flow([node("s", "start"), node("x", "teleporter")], [edge("s", "x")]),
        make_flow([node("s", "start")], [edge("s", "ghost")]),
        make_flow([node("s", "start")], []),
        make_flow([node("e", "end")], []),
    ]
    for flow in cases:
        with pytest.raises(IllegalTransition):
            start(flow, ctx)


def test_context_requires_aware_now() -> None:
    """A naive ``now`` is refused: the engine works in UTC."""
    with pytest.raises(ValueError, match="timezone-aware"):
        Context(T0.replace(tzinfo=None), {}, FakeDirectory())


def test_durations() -> None:
    """ISO 8601 durations with weeks, days and time parts parse; others raise."""
    assert parse_duration("PT4H") == timedelta(hours=4)
    assert parse_duration("P1W2DT3H4M5.5S") == timedelta(
        weeks=1, days=2, hours=3, minutes=4, seconds=5.5
    )
    for bad in ["P", "PT", "4H", "P1M", "P1Y", 7]:
        with pytest.raises(IllegalTransition):
            parse_duration(bad)  # type: ignore[arg-type]
    assert parse_date(5) is None


def test_effect_as_dict_is_json_ready() -> None:
    """Effects convert to JSON-ready dicts with their type and ISO datetimes."""
    timer = SetTimer("k", "k", "n", T0, "due")
    assert effect_as_dict(timer) == {
        "type": "set_timer",
        "key": "k",
        "timer": "k",
        "node": "n",
        "due_at": T0.isoformat(),
        "purpose": "due",
    }
    close = CloseTasks("c", "n", ("a", "b"), "approved")
    assert effect_as_dict(close)["tasks"] == ["a", "b"]
    assert effect_as_dict(Record("r", "n", "k", {"x": [T0]}))["detail"] == {"x": [T0.isoformat()]}
