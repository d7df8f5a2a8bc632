"""The node-type registry: one ``NodeType`` subclass per type, registered by name."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from core.errors import IllegalTransition

if TYPE_CHECKING:
    from runtime.engine.events import Event
    from runtime.engine.run import Run
    from runtime.engine.state import Token


class NodeType(ABC):
    """How tokens enter one type of node and how its waits answer events."""

    name: ClassVar[str]

    @abstractmethod
    def enter(self, run: Run, token: Token) -> None:
        """A token arrived: act, then move it on, park it, or drop it."""

    # Not abstract: most node types never park a token, so they never get an event.
    def handle(self, run: Run, token: Token, event: Event) -> None:  # noqa: B027
        """``event`` answers the wait of ``token`` (the machine matched task, timer or job key)."""


_REGISTRY: dict[str, NodeType] = {}


def register(cls: type[NodeType]) -> type[NodeType]:
    """Class decorator: make ``cls`` the handler of node type ``cls.name``."""
    _REGISTRY[cls.name] = cls()
    return cls


def handler_for(type_name: str) -> NodeType:
    """The handler of node type ``type_name``; an unknown type is an illegal transition."""
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise IllegalTransition(f"unknown node type {type_name!r}") from None


def registered_types() -> list[str]:
    """The names of every registered node type."""
    return sorted(_REGISTRY)
