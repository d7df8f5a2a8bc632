"""Property: the server path agrees with the compiled schema plus the visibility rule."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from builder.conditions import condition_matches, strip_hidden, visible_keys
from builder.fields.values import rust_validator, value_validator
from builder.forms.definition import compile_schema
from runtime.checking import check_submission
from tests.builder.form_strategies import definitions, submissions


@st.composite
def form_and_data(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A generated valid definition and a generated submission for it."""
    definition, values = draw(definitions())
    return definition, draw(submissions(values))


@settings(max_examples=100, deadline=None)
@given(form_and_data())
def test_check_submission_agrees_with_compiled_schema(
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """check_submission finds no problem exactly when the compiled schema accepts the data
    stripped of hidden values; what it keeps belongs to visible fields only. (Its fast
    jsonschema-rs check is offered for every generated schema, so it is under test here.)"""
    definition, data = generated
    schema = compile_schema(definition)
    assert rust_validator(schema, docket_formats=True) is not None
    cleaned, problems = check_submission(definition, schema, data)
    stripped = strip_hidden(definition, data)
    assert cleaned == stripped
    assert (problems == []) == value_validator(schema).is_valid(stripped)
    assert set(stripped) <= visible_keys(definition, data)
    for field in definition["fields"]:
        if field.get("key") in stripped and "visibleWhen" in field:
            assert condition_matches(field["visibleWhen"], stripped)


@settings(max_examples=200, deadline=None)
@given(form_and_data())
def test_conditions_match_as_jsonschema_says(
    generated: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    """condition_matches, which asks jsonschema-rs first, gives jsonschema's verdict on every
    generated condition (rows of every operator, all of, any of) and submission."""
    definition, data = generated
    for field in definition["fields"]:
        for rule in ("visibleWhen", "requiredWhen"):
            if rule in field:
                expected = Draft202012Validator(field[rule]).is_valid(data)
                assert condition_matches(field[rule], data) == expected
