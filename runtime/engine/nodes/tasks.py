"""User tasks: one task for the resolved assignee; the token continues on ``complete``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runtime.engine.durations import parse_duration
from runtime.engine.effects import CreateTask
from runtime.engine.events import Event, EventKind
from runtime.engine.nodes.registry import NodeType, register

if TYPE_CHECKING:
    from runtime.engine.run import Run
    from runtime.engine.state import Token


@register
class UserTaskNode(NodeType):
    """A task someone completes (optionally by filling a form); ``due`` is for the SLA."""

    name = "user_task"

    def enter(self, run: Run, token: Token) -> None:
        """Create the task (assignee None when the selector names nobody) and wait."""
        data = run.graph.data(token["node"])
        selector = data.get("assignee")
        people = run.ctx.directory.approvers([selector], run.data) if selector else []
        task = run.key("task", token, "s0")
        due_at = run.now + parse_duration(data["due"]) if data.get("due") else None
        run.emit(
            CreateTask(
                key=task,
                task=task,
                node=token["node"],
                kind="user_task",
                assignee=people[0] if people else None,
                due_at=due_at,
                title=data.get("title"),
                form=data.get("form"),
            )
        )
        run.park(token, {"kind": "task", "open": [task], "timer": None})

    def handle(self, run: Run, token: Token, event: Event) -> None:
        """Continue when the open task is completed; other decisions are ignored."""
        payload = event.payload
        if (
            event.kind == EventKind.TASK_DECIDED
            and payload.get("task") in token["wait"]["open"]
            and payload.get("decision") == "complete"
        ):
            detail = {
                "task": payload["task"],
                "by": payload.get("by"),
                "comment": payload.get("comment", ""),
            }
            run.record(token, "task.completed", detail)
            run.follow(token)
