"""The user picker: the email of an existing user, optionally of one role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from builder.fields.base import FieldType, MeaningContext, register
from builder.fields.values import pointer
from core.errors import Problem


@register
class UserType(FieldType):
    """A user, stored by email (portable); the runtime checks that the user exists."""

    name = "user"
    config_schema = {"properties": {"role": {"type": "string", "minLength": 1, "maxLength": 64}}}

    def compile(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """An email address."""
        return {"type": "string", "format": "email", "maxLength": 254}

    def meaning_problems(
        self, field: Mapping[str, Any], where: str, ctx: MeaningContext
    ) -> list[Problem]:
        """The role exists (when the caller knows the roles); the default is valid."""
        problems = super().meaning_problems(field, where, ctx)
        if ctx.roles is not None and "role" in field and field["role"] not in ctx.roles:
            problems.append(Problem(pointer(where, "role"), "unknownRole", "No such role."))
        return problems
