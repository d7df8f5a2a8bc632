"""A Hypothesis state machine over generated valid flows and random applicable events."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from runtime.engine import (
    CancelTimer,
    Context,
    Effect,
    Event,
    SetTimer,
    open_waits,
    start,
    step,
)
from runtime.engine.graph import Graph
from tests.engine.flow_strategies import DATA, DIRECTORY, flows
from tests.engine.support import T0

#: A wait answered by an event the machine can send; ``join`` waits for sibling branches.
ANSWERABLE = {
    "approval": lambda w: bool(w["open"]),
    "task": lambda w: bool(w["open"]),
    "job": lambda w: bool(w["job"]),
    "timer": lambda w: bool(w["timer"]),
    "event": lambda w: w["event"] == "ticket.replied",
    "join": lambda w: bool(w["edge"]),
}


class EngineMachine(RuleBasedStateMachine):
    """Drives one instance of a generated flow; checks invariants after every event."""

    @initialize(flow=flows(), data=DATA)
    def begin(self, flow: dict[str, Any], data: dict[str, Any]) -> None:
        """Start an instance."""
        self.flow, self.graph = flow, Graph(flow)
        self.ctx = Context(T0, data, DIRECTORY)
        self.keys: set[str] = set()
        self.dead_timers: set[str] = set()
        self.timer_due: dict[str, datetime] = {}
        self.retired: set[str] = set()
        self.delivered: list[Event] = []
        self.state, effects = start(flow, self.ctx)
        self.live = set(self.state["tokens"])
        self._absorb(effects)

    def _absorb(self, effects: list[Effect]) -> None:
        for effect in effects:
            assert effect.key not in self.keys, f"duplicate effect key {effect.key}"
            self.keys.add(effect.key)
            if isinstance(effect, SetTimer):
                assert effect.timer not in self.dead_timers
                self.timer_due[effect.timer] = effect.due_at
            if isinstance(effect, CancelTimer):
                assert effect.timer in self.timer_due and effect.timer not in self.dead_timers
                self.dead_timers.add(effect.timer)
        tokens = set(self.state["tokens"])
        self.retired |= self.live - tokens
        assert not tokens & self.retired, "a token id was reused"
        self.live = tokens

    def _send(self, event: Event) -> list[Effect]:
        if event.kind == "timer.fired":
            due = self.timer_due[event.payload["timer"]]
            self.ctx = replace(self.ctx, now=max(self.ctx.now, due))
        self.state, effects = step(self.flow, self.state, event, self.ctx)
        self._absorb(effects)
        if event.kind == "timer.fired":
            self.dead_timers.add(event.payload["timer"])
        self.delivered.append(event)
        return effects

    def _waits(self, kind: str) -> list[dict[str, Any]]:
        return [w for w in open_waits(self.state) if w.get(kind)]

    @precondition(lambda self: any(w.get("open") for w in open_waits(self.state)))
    @rule(data=st.data())
    def decide(self, data: st.DataObject) -> None:
        """Decide an open task (approve/reject an approval, complete a user task)."""
        wait = data.draw(st.sampled_from(self._waits("open")))
        task = data.draw(st.sampled_from(wait["open"]))
        choices = ["approve", "reject"] if wait["kind"] == "approval" else ["complete"]
        effects = self._send(Event.decided(task, data.draw(st.sampled_from(choices)), "x@x"))
        assert effects, "a decision on an open task is never ignored"

    @precondition(lambda self: any(w.get("open") for w in open_waits(self.state)))
    @rule(data=st.data())
    def wrong_decision(self, data: st.DataObject) -> None:
        """A decision that does not fit the task (complete an approval, approve a task)."""
        wait = data.draw(st.sampled_from(self._waits("open")))
        decision = "complete" if wait["kind"] == "approval" else "approve"
        before = self.state
        assert self._send(Event.decided(wait["open"][0], decision, "x@x")) == []
        assert self.state == before

    @precondition(lambda self: any(w.get("timer") for w in open_waits(self.state)))
    @rule(data=st.data())
    def fire_timer(self, data: st.DataObject) -> None:
        """Fire a pending timer."""
        timer = data.draw(st.sampled_from([w["timer"] for w in self._waits("timer")]))
        self._send(Event.timer_fired(timer))

    @precondition(lambda self: any(w.get("job") for w in open_waits(self.state)))
    @rule(data=st.data(), ok=st.booleans())
    def finish_job(self, data: st.DataObject, ok: bool) -> None:
        """Complete or fail a pending webhook or lookup."""
        job = data.draw(st.sampled_from([w["job"] for w in self._waits("job")]))
        event = Event.job_done(job, {"x": 1}) if ok else Event.job_failed(job, "boom")
        self._send(event)

    @precondition(lambda self: any(w.get("event") for w in open_waits(self.state)))
    @rule()
    def reply(self) -> None:
        """The requester replies."""
        self._send(Event.replied())

    @precondition(lambda self: self.delivered)
    @rule(data=st.data())
    def duplicate(self, data: st.DataObject) -> None:
        """A task decision, timer or job.done delivered again changes nothing."""
        kinds = {"task.decided", "timer.fired", "job.done"}
        events = [e for e in self.delivered if e.kind in kinds]
        if not events:
            return
        event = data.draw(st.sampled_from(events))
        before = json.dumps(self.state)
        state, effects = step(self.flow, self.state, event, self.ctx)
        assert effects == [] and json.dumps(state) == before

    @rule(kind=st.sampled_from(["task.decided", "timer.fired", "job.done", "job.failed"]))
    def stray_event(self, kind: str) -> None:
        """An event for a key the instance never had changes nothing."""
        payload = {
            "task": "task:ghost:r1:s0",
            "decision": "approve",
            "timer": "timer:ghost:r1:1",
            "effect": "webhook:ghost:r1",
            "error": "x",
        }
        before = json.dumps(self.state)
        state, effects = step(self.flow, self.state, Event(kind, payload), self.ctx)
        assert effects == [] and json.dumps(state) == before

    @precondition(lambda self: len(self.delivered) >= 6 and not self.state["ended"])
    @rule()
    def cancel(self) -> None:
        """Cancel the instance: it ends at once with outcome cancelled."""
        self._send(Event.cancel())
        assert self.state["ended"] and self.state["outcome"] == "cancelled"

    @invariant()
    def state_round_trips(self) -> None:
        """The state is plain JSON."""
        assert json.loads(json.dumps(self.state)) == self.state

    @invariant()
    def every_token_waits_on_something_answerable(self) -> None:
        """An instance has ended, or every token waits on something an event can answer."""
        tokens = list(self.state["tokens"].values())
        assert self.state["ended"] == (not tokens)
        for token in tokens:
            assert token["wait"] is not None and ANSWERABLE[token["wait"]["kind"]](token["wait"])
        if tokens:
            assert any(t["wait"]["kind"] != "join" for t in tokens), "all tokens at joins"

    @invariant()
    def tokens_match_branch_structure(self) -> None:
        """One token per branch of every open split, recursively; one token outside splits."""
        tokens = list(self.state["tokens"].values())
        if tokens:
            self._check_group(tokens, 0)

    def _check_group(self, group: list[dict[str, Any]], depth: int) -> None:
        if any(len(t["frames"]) == depth for t in group):
            assert len(group) == 1, f"duplicated token at depth {depth}: {group}"
            return
        (split,) = {t["frames"][depth][0] for t in group}
        branches: dict[str, list[dict[str, Any]]] = {}
        for token in group:
            branches.setdefault(token["frames"][depth][1], []).append(token)
        assert set(branches) == {e["id"] for e in self.graph.outgoing[split]}, "lost a branch"
        for branch in branches.values():
            self._check_group(branch, depth + 1)


EngineMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestEngineMachine = EngineMachine.TestCase
