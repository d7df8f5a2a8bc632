"""Actions: ``set`` and ``notify`` run synchronously; ``webhook`` and ``lookup`` wait for a job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import IllegalTransition
from runtime.engine.effects import CallWebhook, Lookup, Notify, SetTicket
from runtime.engine.events import Event, EventKind
from runtime.engine.nodes.registry import NodeType, register

if TYPE_CHECKING:
    from runtime.engine.run import Run
    from runtime.engine.state import Token

_MISSING = object()


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at JSON pointer ``pointer`` (RFC 6901) in ``document``, or ``_MISSING``."""
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        return _MISSING
    value = document
    for raw in pointer[1:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


@register
class ActionNode(NodeType):
    """An automated step; the kind is ``data.action``."""

    name = "action"

    def enter(self, run: Run, token: Token) -> None:
        """Emit the action's effect; continue at once or wait for its job."""
        data, node = run.graph.data(token["node"]), token["node"]
        action = data.get("action")
        if action == "set":
            changes = data.get("set") or {}
            run.emit(
                SetTicket(
                    key=run.key("set", token),
                    node=node,
                    status=changes.get("status"),
                    priority=changes.get("priority"),
                    fields=dict(changes.get("fields") or {}),
                )
            )
        elif action == "notify":
            run.emit(
                Notify(
                    key=run.key("notify", token),
                    node=node,
                    channel=str(data.get("channel", "email")),
                    to=tuple(data.get("to") or ()),
                    subject=data.get("subject"),
                    body=data.get("body"),
                )
            )
        elif action == "webhook":
            key = run.key("webhook", token)
            retry_max = int((data.get("retry") or {}).get("max", 0))
            run.emit(CallWebhook(key, node, str(data["url"]), data.get("secret"), retry_max))
            run.park(token, {"kind": "job", "job": key, "failures": 0})
            return
        elif action == "lookup":
            key = run.key("lookup", token)
            method = str(data.get("method", "GET"))
            run.emit(Lookup(key, node, str(data["url"]), method, dict(data.get("map") or {})))
            run.park(token, {"kind": "job", "job": key, "failures": 0})
            return
        else:
            raise IllegalTransition(f"unknown action {action!r} in node {node!r}")
        run.follow(token)

    def handle(self, run: Run, token: Token, event: Event) -> None:
        """``job.done`` continues (a lookup first applies its map); ``job.failed`` is recorded."""
        wait = token["wait"]
        if event.kind == EventKind.JOB_FAILED:
            wait["failures"] += 1
            detail = {"effect": wait["job"], "error": event.payload.get("error")}
            run.record(token, "job.failed", detail, wait["failures"])
        else:
            data = run.graph.data(token["node"])
            if data.get("action") == "lookup":
                self._apply_map(run, token, data.get("map") or {}, event.payload.get("result"))
            run.follow(token)

    @staticmethod
    def _apply_map(run: Run, token: Token, mapping: dict[str, str], result: Any) -> None:
        fields, missing = {}, []
        for field, pointer in mapping.items():
            value = resolve_pointer(result, pointer)
            if value is _MISSING:
                missing.append(field)
            else:
                fields[field] = value
        if fields:
            run.emit(SetTicket(run.key("set", token), token["node"], None, None, fields))
        if missing:
            run.record(token, "lookup.missing", {"fields": missing})
