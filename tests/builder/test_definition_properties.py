"""Property: every generated valid definition validates cleanly and compiles to a valid schema."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from jsonschema import Draft202012Validator

from builder.forms.definition import compile_schema, validate_definition
from tests.builder.form_strategies import definitions


@settings(max_examples=100, deadline=None)
@given(definitions())
def test_validate_definition_accepts_generated_valid_definitions(
    generated: tuple[dict[str, Any], Any],
) -> None:
    """A definition built by the rules (all types, conditions on earlier fields) has no problems
    and compiles to a JSON Schema 2020-12 that passes the metaschema."""
    definition, _ = generated
    assert validate_definition(definition) == []
    Draft202012Validator.check_schema(compile_schema(definition))
