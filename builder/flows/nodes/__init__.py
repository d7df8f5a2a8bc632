"""Node types, registered by name; every module of this package is loaded on import.

Adding a node type means adding one class (in a new module or next to its relatives)
decorated with ``@register``.
"""

from __future__ import annotations

import importlib
import pkgutil

from builder.flows.nodes.base import NODE_TYPES, FlowContext, FlowReferences, NodeType

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["NODE_TYPES", "FlowContext", "FlowReferences", "NodeType"]
