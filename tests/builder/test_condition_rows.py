"""The condition editor's row shapes (tests/vectors/condition_rows.json) on the server side.

The builder UI writes these fragments from "field / operator / value" rows; the vectors pin
each shape, and frontend/src/builder/shared/conditionRows.test.ts checks that the UI writes
exactly them. Here: every fragment is a valid condition for the server and matches the same
data as it does in the browser.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from builder.conditions import check_condition, condition_matches

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "condition_rows.json").read_text(encoding="utf-8")
)


def test_vectors_cover_every_operator() -> None:
    """Each operator the editor offers has at least one vector."""
    used = {row["op"] for vector in VECTORS for row in vector["rows"]["rows"]}
    assert used == {"equals", "not_equals", "in", "contains", "gt", "lt", "gte", "lte", "empty",
                    "not_empty", "checked", "not_checked"}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_row_fragment_is_a_valid_condition(vector: dict[str, Any]) -> None:
    """The fragment passes the publish-time condition check with the vector's fields."""
    assert check_condition(vector["condition"], "/fields/0/visibleWhen", vector["fields"]) == []


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_row_fragment_matches_as_stated(vector: dict[str, Any]) -> None:
    """The fragment matches (or not) each sample as the vector says."""
    for case in vector["cases"]:
        assert condition_matches(vector["condition"], case["data"]) is case["matches"], case


def test_text_contains_patterns_compile_in_python() -> None:
    """Escaped "contains" patterns are Python regexes that match the text literally."""
    for vector in VECTORS:
        for row in vector["rows"]["rows"]:
            if row["op"] == "contains" and vector["fields"][row["field"]] != "multiselect":
                pattern = vector["condition"]["properties"][row["field"]]["pattern"]
                assert re.search(pattern, f"x{row['value']}y")
