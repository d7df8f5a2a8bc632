"""Approvals: every mode, votes per task key, returns to an earlier node, timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import IllegalTransition
from runtime.engine import (
    CancelTimer,
    CloseTasks,
    CreateTask,
    Escalate,
    Mode,
    Outcome,
    Record,
    SetTimer,
    tally,
)
from tests.engine.support import T0, FakeDirectory, Instance, approval_flow, edge, make_flow, node

TASKS = ["task:ap:r1:s0", "task:ap:r1:s1", "task:ap:r1:s2"]


def outcome_of(instance: Instance) -> str:
    """The outcome recorded by the last approval round."""
    records = [e for e in instance.history if isinstance(e, Record)]
    return [r for r in records if r.kind == "approval.outcome"][-1].detail["outcome"]


def test_single_uses_first_approver() -> None:
    """Single mode opens one task for the first approver; the decision decides."""
    instance = Instance(approval_flow(mode="single"))
    (task,) = instance.of(CreateTask)
    assert (task.task, task.assignee, task.kind) == (TASKS[0], "ann@x", "approval")
    instance.decide(TASKS[0], "reject")
    assert instance.state["outcome"] == "rejected"


def test_sequential_opens_one_task_at_a_time_in_order() -> None:
    """Sequential mode asks each approver in order; all must approve."""
    instance = Instance(approval_flow(mode="sequential"))
    assert instance.tasks == [TASKS[0]]
    assert instance.decide(TASKS[1]) == []
    instance.decide(TASKS[0])
    assert [t.assignee for t in instance.of(CreateTask)] == ["bob@x"]
    instance.decide(TASKS[1])
    assert instance.tasks == [TASKS[2]]
    instance.decide(TASKS[2])
    assert instance.state["outcome"] == "resolved"


def test_sequential_rejection_stops_the_chain() -> None:
    """A rejection in sequential mode rejects without asking the rest."""
    instance = Instance(approval_flow(mode="sequential"))
    instance.decide(TASKS[0])
    instance.decide(TASKS[1], "reject")
    assert instance.state["outcome"] == "rejected"
    assert instance.of(CloseTasks) == []
    assert len([e for e in instance.history if isinstance(e, CreateTask)]) == 2


def test_all_requires_every_approval_and_one_reject_rejects() -> None:
    """All mode (会签): every approver must approve; one rejection closes the others."""
    approved = Instance(approval_flow(mode="all"))
    for task in TASKS:
        assert not approved.ended
        approved.decide(task)
    assert approved.state["outcome"] == "resolved"
    rejected = Instance(approval_flow(mode="all"))
    rejected.decide(TASKS[0])
    rejected.decide(TASKS[1], "reject")
    (close,) = rejected.of(CloseTasks)
    assert (close.tasks, close.reason) == ((TASKS[2],), "rejected")
    assert rejected.state["outcome"] == "rejected"
    assert rejected.decide(TASKS[2]) == []


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_any_first_decision_decides(decision: str) -> None:
    """Any mode (或签): the first decision decides and closes the other tasks."""
    instance = Instance(approval_flow(mode="any"))
    instance.decide(TASKS[1], decision)
    assert instance.of(CloseTasks)[0].tasks == (TASKS[0], TASKS[2])
    assert outcome_of(instance) == ("approved" if decision == "approve" else "rejected")


def test_k_of_n_reaches_k() -> None:
    """k_of_n approves once k approve, closing the rest."""
    instance = Instance(approval_flow(mode="k_of_n", k=2))
    instance.decide(TASKS[0], "reject")
    instance.decide(TASKS[1])
    assert not instance.ended
    instance.decide(TASKS[2])
    assert outcome_of(instance) == "approved"


def test_k_of_n_becomes_impossible() -> None:
    """k_of_n rejects as soon as k approvals can no longer be reached."""
    instance = Instance(approval_flow(mode="k_of_n", k=2))
    instance.decide(TASKS[0], "reject")
    assert not instance.ended
    instance.decide(TASKS[2], "reject")
    assert outcome_of(instance) == "rejected"
    assert instance.of(CloseTasks)[0].tasks == (TASKS[1],)


def test_k_of_n_decided_on_entry() -> None:
    """k above the approver count rejects at once; k of zero approves at once."""
    assert outcome_of(Instance(approval_flow(mode="k_of_n", k=4))) == "rejected"
    assert outcome_of(Instance(approval_flow(mode="k_of_n", k=0))) == "approved"


def test_no_approvers_rejects_with_reason() -> None:
    """An approval whose selectors name nobody is rejected, saying so."""
    instance = Instance(approval_flow(approvers=[{"kind": "team", "team": "ghosts"}]))
    assert outcome_of(instance) == "rejected"
    assert instance.history[-2].detail["reason"] == "no approvers"


def test_second_decision_on_same_task_is_ignored() -> None:
    """A task key is counted once: a repeated decision changes nothing."""
    instance = Instance(approval_flow(mode="all"))
    instance.decide(TASKS[0])
    state = instance.state
    assert instance.decide(TASKS[0], "reject") == []
    assert instance.state is state
    assert instance.decide(TASKS[1], "complete") == []


def test_unknown_mode_raises() -> None:
    """An approval mode the engine does not know is an illegal transition."""
    with pytest.raises(IllegalTransition, match="mode"):
        Instance(approval_flow(mode="majority"))


def return_flow() -> dict:
    """start -> fill (user task) -> ap (approval, reject returns to fill) -> end."""
    nodes = [
        node("start", "start"),
        node("fill", "user_task", assignee={"kind": "user", "user": "req@x"}),
        node(
            "ap",
            "approval",
            approvers=[{"kind": "user", "user": "ann@x"}],
            due="P1D",
            onReject="return",
            returnTo="fill",
        ),
        node("end", "end"),
    ]
    edges = [edge("start", "fill"), edge("fill", "ap"), edge("ap", "end", "approved")]
    return make_flow(nodes, edges)


def test_reject_with_return_reenters_earlier_node_with_new_round() -> None:
    """onReject return sends the token back; the next approval round has new task keys."""
    instance = Instance(return_flow())
    instance.decide("task:fill:r1:s0", "complete")
    assert instance.tasks == ["task:ap:r1:s0"]
    first_timer = instance.timers[0]
    instance.decide("task:ap:r1:s0", "reject")
    assert instance.of(CancelTimer)[0].timer == first_timer
    assert instance.tasks == ["task:fill:r2:s0"]
    outcome = [e for e in instance.effects if isinstance(e, Record)][-1]
    assert outcome.detail["returnTo"] == "fill"
    instance.decide("task:fill:r2:s0", "complete")
    assert instance.tasks == ["task:ap:r2:s0"]
    assert instance.decide("task:ap:r1:s0") == []
    assert instance.fire(first_timer) == []
    instance.decide("task:ap:r2:s0")
    assert instance.ended
    assert instance.state["path"] == ["start", "fill", "ap", "fill", "ap", "end"]


def test_due_sets_timer_and_outcome_cancels_it() -> None:
    """``due`` sets a timer and task due dates; the outcome cancels the timer."""
    instance = Instance(approval_flow(mode="any", due="P2D"))
    (timer,) = instance.of(SetTimer)
    assert timer.due_at == T0 + timedelta(days=2) and timer.purpose == "due"
    assert {t.due_at for t in instance.of(CreateTask)} == {timer.due_at}
    instance.decide(TASKS[0])
    assert instance.of(CancelTimer)[0].timer == timer.timer


def test_timeout_remind_records_and_rearms() -> None:
    """onTimeout remind records a reminder to open tasks' holders and re-arms remindEvery."""
    instance = Instance(
        approval_flow(mode="all", due="P1D", onTimeout="remind", remindEvery="PT4H")
    )
    instance.decide(TASKS[0])
    first = instance.timers[0]
    instance.fire(first, later=timedelta(days=1))
    reminder = instance.of(Record)[0]
    assert (reminder.kind, reminder.detail["to"]) == ("approval.timeout", ["bob@x", "cat@x"])
    (rearm,) = instance.of(SetTimer)
    assert rearm.timer != first and rearm.due_at == T0 + timedelta(days=1, hours=4)
    assert instance.fire(first) == []
    instance.fire(rearm.timer)
    assert instance.of(Record)[0].key != reminder.key


def test_timeout_remind_without_interval_stops_timing() -> None:
    """A reminder without remindEvery leaves no timer (the default onTimeout is remind)."""
    instance = Instance(approval_flow(mode="any", due="P1D"))
    instance.fire()
    assert instance.timers == [] and instance.tasks == TASKS


def test_timeout_escalate_moves_tasks_and_rearms_due() -> None:
    """onTimeout escalate hands each open task to the holder's escalation target."""
    managers = {"ann@x": "boss@x", "bob@x": "boss@x", "boss@x": "ceo@x"}
    instance = Instance(
        approval_flow(mode="all", due="P1D", onTimeout="escalate"),
        directory=FakeDirectory(managers=managers),
    )
    instance.fire(later=timedelta(days=1))
    escalations = instance.of(Escalate)
    assert [(e.task, e.assignee, e.to) for e in escalations] == [
        (TASKS[0], "ann@x", "boss@x"),
        (TASKS[1], "bob@x", "boss@x"),
    ]
    assert instance.of(Record)[0].detail["without_target"] == [TASKS[2]]
    (rearm,) = instance.of(SetTimer)
    assert rearm.due_at == T0 + timedelta(days=2)
    instance.fire(rearm.timer, later=timedelta(days=2))
    assert [e.to for e in instance.of(Escalate)] == ["ceo@x", "ceo@x"]
    instance.fire()
    assert instance.of(Escalate) == [] and instance.timers == []


@pytest.mark.parametrize(("action", "outcome"), [("approve", "resolved"), ("reject", "rejected")])
def test_timeout_auto_decides(action: str, outcome: str) -> None:
    """onTimeout approve/reject decides the approval and closes its tasks."""
    instance = Instance(approval_flow(mode="all", due="PT1H", onTimeout=action))
    instance.fire()
    assert instance.of(CloseTasks)[0].tasks == tuple(TASKS)
    assert instance.state["outcome"] == outcome


def test_timeout_handle_wins_over_on_timeout() -> None:
    """With a ``timeout`` edge the timer sends the token there (outcome timeout)."""
    flow = approval_flow(mode="any", due="PT1H", onTimeout="approve")
    flow["nodes"].append(node("late", "end", outcome="cancelled"))
    flow["edges"].append(edge("ap", "late", "timeout"))
    instance = Instance(flow)
    instance.fire()
    assert outcome_of(instance) == "timeout"
    assert instance.state["outcome"] == "cancelled"
    assert instance.of(CloseTasks)[0].reason == "timeout"


def test_vote_records_carry_decider_and_comment() -> None:
    """Each vote is recorded with who decided and the comment."""
    instance = Instance(approval_flow(mode="all"))
    effects = instance.decide(TASKS[0], "approve", by="ann@x")
    assert effects[0].detail == {
        "task": TASKS[0],
        "decision": "approve",
        "by": "ann@x",
        "comment": "",
    }


VOTES = st.lists(st.sampled_from(["approve", "reject", None]), min_size=1, max_size=6)


@given(VOTES, st.integers(0, 7))
def test_tally_is_monotone(votes: list, k: int) -> None:
    """Once decided, an outcome stays whatever the undecided slots vote.

    ``any`` is left out: its first vote closes every other task, so no vote follows it.
    """
    for mode in set(Mode) - {Mode.ANY}:
        decided = tally(mode, k, votes)
        if decided is None:
            continue
        filled = [vote or "approve" for vote in votes]
        assert tally(mode, k, filled) == decided
        assert tally(mode, k, [vote or "reject" for vote in votes]) == decided


@given(VOTES, st.integers(1, 7))
def test_tally_complete_votes_decide(votes: list, k: int) -> None:
    """With every vote in, every mode has an outcome, and k_of_n counts approvals."""
    filled = [vote or "reject" for vote in votes]
    approvals = filled.count("approve")
    expected = Outcome.APPROVED if approvals >= k else Outcome.REJECTED
    assert tally(Mode.K_OF_N, k, filled) == expected
    unanimous = Outcome.APPROVED if approvals == len(filled) else Outcome.REJECTED
    assert tally(Mode.ALL, k, filled) == unanimous
    assert tally(Mode.SEQUENTIAL, k, filled) == unanimous
