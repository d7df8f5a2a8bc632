"""Node types: importing this package registers every handler in ``registry``."""

from runtime.engine.nodes import actions, approval, flow_control, tasks, waits
from runtime.engine.nodes.registry import NodeType, handler_for, register, registered_types

__all__ = [
    "NodeType",
    "actions",
    "approval",
    "flow_control",
    "handler_for",
    "register",
    "registered_types",
    "tasks",
    "waits",
]
