"""Approval nodes: tasks per approver, votes counted per task key, timeouts and returns.

A token entering an approval starts a round (the node's visit count, part of every task
key, so a returned-to approval opens new tasks). Votes go into slots in approver order and
``approvals.tally`` decides; then open tasks are closed, the due timer is cancelled, and
the token leaves by the ``approved``/``rejected``/``timeout`` handle, or jumps to
``returnTo`` on a rejection with ``onReject: return``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import IllegalTransition
from runtime.engine.approvals import APPROVE, REJECT, Mode, Outcome, slot_count, tally
from runtime.engine.durations import parse_duration
from runtime.engine.effects import CloseTasks, CreateTask, Escalate
from runtime.engine.events import Event, EventKind
from runtime.engine.nodes.registry import NodeType, register

if TYPE_CHECKING:
    from runtime.engine.run import Run
    from runtime.engine.state import Token


def _mode(data: dict[str, Any]) -> Mode:
    try:
        return Mode(data.get("mode", Mode.SINGLE))
    except ValueError:
        raise IllegalTransition(f"unknown approval mode {data.get('mode')!r}") from None


@register
class ApprovalNode(NodeType):
    """Approval in every mode: single, sequential, all, any, k_of_n."""

    name = "approval"

    def enter(self, run: Run, token: Token) -> None:
        """Open the round's tasks (one for sequential) and the due timer."""
        data = run.graph.data(token["node"])
        mode = _mode(data)
        people = run.ctx.directory.approvers(data.get("approvers", []), run.data)
        people = list(dict.fromkeys(people))[: slot_count(mode, len(people))]
        wait: dict[str, Any] = {
            "kind": "approval",
            "mode": mode.value,
            "k": int(data.get("k", 1)),
            "approvers": people,
            "tasks": [None] * len(people),
            "votes": [None] * len(people),
            "holders": {},
            "open": [],
            "timer": None,
        }
        run.park(token, wait)
        outcome = tally(mode, wait["k"], wait["votes"])
        if outcome is not None:
            reason = "no approvers" if not people else f"k = {wait['k']} of {len(people)}"
            self._conclude(run, token, outcome, reason)
            return
        for slot in [0] if mode is Mode.SEQUENTIAL else range(len(people)):
            self._open_task(run, token, slot)
        if data.get("due"):
            due_at = run.now + parse_duration(data["due"])
            wait["timer"] = run.set_timer(token, due_at, "due")

    def handle(self, run: Run, token: Token, event: Event) -> None:
        """A vote on an open task, or the due timer firing."""
        wait = token["wait"]
        if event.kind == EventKind.TASK_DECIDED:
            task, decision = event.payload.get("task"), event.payload.get("decision")
            if isinstance(task, str) and task in wait["open"] and decision in (APPROVE, REJECT):
                self._vote(run, token, event, task, decision)
        else:
            wait["timer"] = None
            self._timeout(run, token)

    def _open_task(self, run: Run, token: Token, slot: int) -> None:
        data, wait = run.graph.data(token["node"]), token["wait"]
        task = run.key("task", token, f"s{slot}")
        due_at = run.now + parse_duration(data["due"]) if data.get("due") else None
        assignee = wait["approvers"][slot]
        wait["tasks"][slot] = task
        wait["open"].append(task)
        wait["holders"][task] = assignee
        run.emit(
            CreateTask(
                key=task,
                task=task,
                node=token["node"],
                kind="approval",
                assignee=assignee,
                due_at=due_at,
                title=data.get("title"),
            )
        )

    def _vote(self, run: Run, token: Token, event: Event, task: str, decision: str) -> None:
        wait = token["wait"]
        slot = wait["tasks"].index(task)
        wait["votes"][slot] = decision
        wait["open"].remove(task)
        detail = {
            "task": task,
            "decision": decision,
            "by": event.payload.get("by"),
            "comment": event.payload.get("comment", ""),
        }
        run.record(token, "approval.vote", detail, f"s{slot}")
        mode = Mode(wait["mode"])
        outcome = tally(mode, wait["k"], wait["votes"])
        if outcome is not None:
            approvals = wait["votes"].count(APPROVE)
            verb = "approved" if decision == APPROVE else "rejected"
            reason = f"{verb} by {detail['by']}; {approvals} of {len(wait['votes'])} approved"
            self._conclude(run, token, outcome, reason)
        elif mode is Mode.SEQUENTIAL:
            self._open_task(run, token, slot + 1)

    def _timeout(self, run: Run, token: Token) -> None:
        data, wait = run.graph.data(token["node"]), token["wait"]
        if run.graph.exit(token["node"], Outcome.TIMEOUT) is not None:
            self._conclude(run, token, Outcome.TIMEOUT, "due passed")
            return
        action = data.get("onTimeout", "remind")
        if action in (APPROVE, REJECT):
            outcome = Outcome.APPROVED if action == APPROVE else Outcome.REJECTED
            self._conclude(run, token, outcome, f"due passed, onTimeout {action}")
            return
        number = run.serial(token)
        holders = wait["holders"]
        if action == "escalate":
            moved, stuck = {}, []
            for task in wait["open"]:
                target = run.ctx.directory.escalation_target(holders[task])
                if target is None or target == holders[task]:
                    stuck.append(task)
                    continue
                run.emit(
                    Escalate(
                        key=f"escalate:{task}:{number}",
                        node=token["node"],
                        task=task,
                        assignee=holders[task],
                        to=target,
                    )
                )
                moved[task], holders[task] = target, target
            detail = {"action": "escalate", "escalated": moved, "without_target": stuck}
            run.record(token, "approval.timeout", detail, number)
            if moved:
                wait["timer"] = run.set_timer(token, run.now + parse_duration(data["due"]), "due")
            return
        to = [holders[task] for task in wait["open"]]
        run.record(
            token, "approval.timeout", {"action": "remind", "tasks": wait["open"], "to": to}, number
        )
        if data.get("remindEvery"):
            due_at = run.now + parse_duration(data["remindEvery"])
            wait["timer"] = run.set_timer(token, due_at, "remind")

    def _conclude(self, run: Run, token: Token, outcome: Outcome, reason: str) -> None:
        data, wait = run.graph.data(token["node"]), token["wait"]
        if wait["open"]:
            close = CloseTasks(
                key=run.key("close", token),
                node=token["node"],
                tasks=tuple(wait["open"]),
                reason=outcome.value,
            )
            run.emit(close)
            wait["open"] = []
        run.cancel_timer(token, wait["timer"])
        wait["timer"] = None
        detail: dict[str, Any] = {
            "outcome": outcome.value,
            "reason": reason,
            "votes": {t: v for t, v in zip(wait["tasks"], wait["votes"], strict=True) if t},
        }
        returning = outcome is Outcome.REJECTED and data.get("onReject") == "return"
        if returning:
            detail["returnTo"] = data.get("returnTo")
        run.record(token, "approval.outcome", detail)
        if returning:
            run.jump(token, str(data.get("returnTo")))
        else:
            run.follow(token, outcome.value)
