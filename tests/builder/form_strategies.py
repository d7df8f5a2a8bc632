"""Hypothesis strategies: valid form definitions (every field type, conditions on earlier
fields, layouts) and submissions for them (valid, invalid and hidden values mixed)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from hypothesis import strategies as st

TEXT = st.one_of(
    st.text(min_size=1, max_size=10),
    st.fixed_dictionaries({"en": st.text(max_size=10)}, optional={"zh-CN": st.just("中文")}),
)
WORD = st.from_regex(r"[a-z]{1,6}", fullmatch=True)
EMAILS = st.sampled_from(["a@example.com", "x.y@mail.example.cn", "ops+1@b.co"])
PHONES = st.sampled_from(["+86 138 0000 0000", "(010) 1234-5678", "12345"])
URLS = st.sampled_from(["https://example.com", "http://a.example/x?y=1"])
DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
Values = st.SearchStrategy[Any]


def _maybe(draw: st.DrawFn, key: str, strategy: Values, target: dict[str, Any]) -> None:
    if draw(st.booleans()):
        target[key] = draw(strategy)


@st.composite
def _text(draw: st.DrawFn, field: dict[str, Any]) -> Values:
    if field["type"] == "text" and draw(st.booleans()):
        field["validate"] = {"pattern": "^[a-z]{1,6}$", "patternMessage": draw(TEXT)}
        return WORD
    low = draw(st.integers(0, 3))
    high = draw(st.integers(low + 1, 12))
    field["validate"] = {"minLength": low, "maxLength": high}
    return st.text(st.characters(codec="utf-8"), min_size=max(low, 1), max_size=high)


@st.composite
def _number(draw: st.DrawFn, field: dict[str, Any]) -> Values:
    low = draw(st.integers(-50, 50))
    high = draw(st.integers(low, 100))
    integer = draw(st.booleans())
    field["validate"] = {"min": low, "max": high, "integer": integer}
    _maybe(draw, "unit", TEXT, field)
    if integer:
        return st.integers(low, high)
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def _date(draw: st.DrawFn, field: dict[str, Any]) -> Values:
    low = draw(DATES)
    high = draw(st.dates(min_value=low, max_value=date(2031, 1, 1)))
    field["validate"] = {"min": low.isoformat(), "max": high.isoformat()}
    return st.dates(min_value=low, max_value=high).map(date.isoformat)


@st.composite
def _choice(draw: st.DrawFn, field: dict[str, Any]) -> Values:
    values = draw(st.lists(WORD, min_size=1, max_size=4, unique=True))
    field["options"] = [{"value": value, "label": draw(TEXT)} for value in values]
    if field["type"] != "multiselect":
        return st.sampled_from(values)
    high = draw(st.integers(1, len(values)))
    field["validate"] = {"minItems": 1, "maxItems": high}
    return st.lists(st.sampled_from(values), min_size=1, max_size=high, unique=True)


@st.composite
def _file(draw: st.DrawFn, field: dict[str, Any]) -> Values:
    most = draw(st.integers(1, 3))
    field["validate"] = {
        "maxFiles": most,
        "maxSize": 1000,
        "accept": ["image/*", "application/pdf"],
    }
    reference = st.fixed_dictionaries(
        {
            "id": st.uuids().map(str),
            "name": st.just("a.png"),
            "size": st.integers(0, 1000),
            "type": st.sampled_from(["image/png", "application/pdf"]),
        }
    )
    return st.lists(reference, min_size=1, max_size=most)


def _fixed(strategy: Values) -> Any:
    return lambda field: st.just(strategy)


@st.composite
def _rating(draw: st.DrawFn, field: dict[str, Any]) -> Values:
    field["max"] = draw(st.integers(3, 10))
    return st.integers(1, field["max"])


def _checkbox(field: dict[str, Any]) -> st.SearchStrategy[Values]:
    return st.just(st.just(True) if field.get("required") else st.booleans())


CONFIGURE = {
    "text": _text,
    "textarea": _text,
    "number": _number,
    "email": _fixed(EMAILS),
    "phone": _fixed(PHONES),
    "url": _fixed(URLS),
    "date": _date,
    "datetime": _fixed(
        st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1)).map(
            lambda moment: moment.strftime("%Y-%m-%dT%H:%M")
        )
    ),
    "select": _choice,
    "radio": _choice,
    "multiselect": _choice,
    "checkbox": _checkbox,
    "file": _file,
    "rating": _rating,
    "user": _fixed(EMAILS),
}
CHILD_TYPES = sorted(set(CONFIGURE) - {"file"})


@st.composite
def valued_field(draw: st.DrawFn, index: str, type_name: str) -> tuple[dict[str, Any], Values]:
    """A valued field of ``type_name`` and a strategy for its valid values."""
    field: dict[str, Any] = {"id": f"id{index}", "key": f"k{index}", "type": type_name}
    field["label"] = draw(TEXT)
    _maybe(draw, "help", TEXT, field)
    field["required"] = draw(st.booleans())
    values = draw(CONFIGURE[type_name](field))
    if draw(st.booleans()):
        field["default"] = draw(values)
    return field, values


@st.composite
def group_field(draw: st.DrawFn, index: str) -> tuple[dict[str, Any], Values]:
    """A repeatable group of a few children and a strategy for valid rows."""
    children = []
    for number, type_name in enumerate(
        draw(st.lists(st.sampled_from(CHILD_TYPES), min_size=1, max_size=3))
    ):
        children.append(draw(valued_field(f"{index}_{number}", type_name)))
    row = st.fixed_dictionaries(
        {child["key"]: values for child, values in children if child.get("required")},
        optional={child["key"]: values for child, values in children if not child.get("required")},
    )
    field = {
        "id": f"id{index}",
        "key": f"k{index}",
        "type": "group",
        "label": draw(TEXT),
        "required": draw(st.booleans()),
        "fields": [child for child, _ in children],
        "validate": {"minItems": 1, "maxItems": 3},
    }
    return field, st.lists(row, min_size=1, max_size=3).filter(lambda rows: all(rows))


@st.composite
def condition_row(draw: st.DrawFn, field: dict[str, Any], values: Values) -> dict[str, Any]:
    """One builder row ("field / operator / value") on ``field``, as in the doc's table."""
    key = field["key"]
    kind = field["type"]

    def prop(schema: dict[str, Any]) -> dict[str, Any]:
        return {"properties": {key: schema}, "required": [key]}

    options: list[Any] = [{"required": [key]}, {"not": {"required": [key]}}]
    if kind in ("number", "rating"):
        number = draw(values)
        options += [prop({"exclusiveMinimum": number}), prop({"exclusiveMaximum": number})]
    if kind == "multiselect":
        options.append(prop({"contains": {"const": draw(values)[0]}}))
    if kind in ("text", "textarea"):
        options.append(prop({"pattern": re.escape(draw(st.sampled_from("abcxyz")))}))
    if kind not in ("file", "group", "multiselect"):
        value = draw(values)
        options += [
            prop({"const": value}),
            prop({"not": {"const": value}}),
            prop({"enum": [value, draw(values)]}),
        ]
    return draw(st.sampled_from(options))


@st.composite
def condition(draw: st.DrawFn, earlier: list[tuple[dict[str, Any], Values]]) -> dict[str, Any]:
    """A condition on earlier valued fields: one row, or all of / any of two rows."""
    rows = [draw(condition_row(*draw(st.sampled_from(earlier)))) for _ in range(2)]
    return draw(st.sampled_from([rows[0], {"allOf": rows}, {"anyOf": rows}]))


TOP_TYPES = [*sorted(CONFIGURE), "group", "static"]


@st.composite
def definitions(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Values]]:
    """A valid definition and, per valued key, a strategy for valid values."""
    valued: list[tuple[dict[str, Any], Values]] = []
    fields = []
    for index, type_name in enumerate(
        draw(st.lists(st.sampled_from(TOP_TYPES), min_size=1, max_size=7))
    ):
        if type_name == "static":
            field: dict[str, Any] = {"id": f"id{index}", "type": "static", "text": draw(TEXT)}
            values = None
        elif type_name == "group":
            field, values = draw(group_field(str(index)))
        else:
            field, values = draw(valued_field(str(index), type_name))
        if draw(st.booleans()) and valued:
            field["visibleWhen"] = draw(condition(valued))
            if values is not None and draw(st.booleans()):
                field["requiredWhenVisible"] = True
        if draw(st.booleans()) and values is not None and valued:
            field["requiredWhen"] = draw(condition(valued))
        fields.append(field)
        if values is not None:
            valued.append((field, values))
    definition: dict[str, Any] = {
        "formatVersion": 1,
        "key": "generated",
        "title": draw(TEXT),
        "fields": fields,
    }
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(fields)))
        parts = [fields[:cut], fields[cut:]]
        definition["layout"] = [
            {
                "type": "section",
                "id": f"s{number}",
                "title": draw(TEXT),
                "children": [f["id"] for f in part],
            }
            for number, part in enumerate(parts)
        ]
    return definition, {field["key"]: values for field, values in valued}


WRONG = st.sampled_from([12345, "not valid @@", True, {"x": 1}, ["zz"], -1e9, 3.5])


@st.composite
def submissions(draw: st.DrawFn, values: dict[str, Values]) -> dict[str, Any]:
    """Data for a generated definition: per key absent, valid, or wrong (never empty)."""
    data = {}
    for key, strategy in values.items():
        choice = draw(st.sampled_from(["absent", "valid", "valid", "wrong"]))
        if choice == "valid":
            data[key] = draw(strategy)
        elif choice == "wrong":
            data[key] = draw(WRONG)
    return data
