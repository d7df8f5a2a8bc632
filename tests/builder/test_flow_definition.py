"""Flow validation: every problem kind, located by a JSON pointer; hostile input never raises."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from builder.flows.definition import bound_form_key, flow_schema, validate_flow
from builder.flows.durations import is_rfc3339, parse_duration
from builder.flows.nodes import FlowReferences

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "builder" / "forms" / "demo"
FLOWS = ROOT / "builder" / "flows" / "demo"


def _fields(name: str) -> set[str]:
    definition = json.loads((FORMS / f"{name}.json").read_text())
    return {f["key"] for f in definition["fields"] if "key" in f}


REFS = FlowReferences(
    forms={"refund": _fields("refund"), "repair": _fields("repair")},
    users={"agent1@example.com", "agent2@example.com", "designer@example.com"},
    teams={"after-sales", "repair-north", "repair-south", "repair-east", "repair-west"},
    roles={"admin", "designer", "agent", "requester"},
)


def refund() -> dict[str, Any]:
    """A copy of the demo refund flow (nodes: start route leads pay tell-rejected queue
    handle done declined; edges e1..e9)."""
    return copy.deepcopy(json.loads((FLOWS / "refund-flow.json").read_text()))


def parallel() -> dict[str, Any]:
    """start -> split -> (a, b) -> join -> end, tasks on both branches."""
    def task(node_id: str) -> dict[str, Any]:
        return {"id": node_id, "type": "user_task", "data": {"title": node_id}}
    return {
        "formatVersion": 1,
        "nodes": [
            {"id": "start", "type": "start", "data": {"trigger": "manual"}},
            {"id": "split", "type": "parallel_split", "data": {"join": "join"}},
            task("a"), task("b"),
            {"id": "join", "type": "parallel_join", "data": {}},
            {"id": "end", "type": "end", "data": {"outcome": "resolved"}},
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "split"},
            {"id": "e2", "source": "split", "target": "a"},
            {"id": "e3", "source": "split", "target": "b"},
            {"id": "e4", "source": "a", "target": "join"},
            {"id": "e5", "source": "b", "target": "join"},
            {"id": "e6", "source": "join", "target": "end"},
        ],
    }


def found(definition: Any) -> set[tuple[str, str]]:
    """The (pointer, code) pairs validation reports."""
    return {(p.pointer, p.code) for p in validate_flow(definition, directory=REFS)}


def node(flow: dict[str, Any], node_id: str) -> dict[str, Any]:
    """The node with ``node_id``."""
    return next(n for n in flow["nodes"] if n["id"] == node_id)


def edge(flow: dict[str, Any], edge_id: str) -> dict[str, Any]:
    """The edge with ``edge_id``."""
    return next(e for e in flow["edges"] if e["id"] == edge_id)


def test_flow_demo_flows_are_valid():
    """Both demo flows validate against the demo directory and bind to their forms."""
    for name, form in (("refund-flow", "refund"), ("repair-flow", "repair")):
        definition = json.loads((FLOWS / f"{name}.json").read_text())
        assert validate_flow(definition, directory=REFS) == []
        assert bound_form_key(definition) == form
    assert validate_flow(parallel(), directory=REFS) == []


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting the value at ``path`` ('nodes.leads.data.mode', 'edges.e2.data')."""
    def apply(flow: dict[str, Any]) -> None:
        kind, item_id, *rest = path.split(".")
        target = (node if kind == "nodes" else edge)(flow, item_id)
        for part in rest[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[rest[-1]] = value
    return apply


def _del(path: str) -> Mutation:
    """A mutation removing the key at ``path`` ('nodes.leads.data.due')."""
    def apply(flow: dict[str, Any]) -> None:
        kind, item_id, *rest = path.split(".")
        target = (node if kind == "nodes" else edge)(flow, item_id)
        for part in rest[:-1]:
            target = target[part]
        del target[rest[-1]]
    return apply


def _add_edge(source: str, target: str, handle: str | None = None, **data: Any) -> Mutation:
    def apply(flow: dict[str, Any]) -> None:
        added: dict[str, Any] = {"id": f"x{len(flow['edges'])}", "source": source,
                                 "target": target}
        if handle:
            added["sourceHandle"] = handle
        if data:
            added["data"] = data
        flow["edges"].append(added)
    return apply


def _drop_edge(edge_id: str) -> Mutation:
    def apply(flow: dict[str, Any]) -> None:
        flow["edges"] = [e for e in flow["edges"] if e["id"] != edge_id]
    return apply


def _add_node(node_id: str, node_type: str, **data: Any) -> Mutation:
    def apply(flow: dict[str, Any]) -> None:
        flow["nodes"].append({"id": node_id, "type": node_type, "data": data})
    return apply


def _both(*mutations: Mutation) -> Mutation:
    def apply(flow: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(flow)
    return apply


AMOUNT = {"properties": {"amount": {"minimum": 1}}, "required": ["amount"]}

# (mutation, expected pointer, expected code) on the refund flow; nodes index in order:
# 0 start, 1 route, 2 leads, 3 pay, 4 tell-rejected, 5 queue, 6 handle, 7 done, 8 declined
REFUND_CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown type", _set("nodes.route.type", "gateway"), "/nodes/1/type", "unknownType"),
    ("missing data key", _set("nodes.leads.data.mode", None), "/nodes/2/data/mode", "enum"),
    ("unknown data key", _set("nodes.route.data.color", "red"), "/nodes/1/data/color",
     "unknownProperty"),
    ("unknown form", _set("nodes.start.data.form", "nope"), "/nodes/0/data/form",
     "unknownForm"),
    ("form on manual start", _set("nodes.start.data.trigger", "manual"),
     "/nodes/0/data/form", "unusedForm"),
    ("unknown team", _set("nodes.leads.data.approvers.0.team", "ghosts"),
     "/nodes/2/data/approvers/0/team", "unknownTeam"),
    ("unknown user", _set("nodes.leads.data.approvers", [{"kind": "user", "user": "x@y.z"}]),
     "/nodes/2/data/approvers/0/user", "unknownUser"),
    ("unknown role", _set("nodes.leads.data.approvers", [{"kind": "role", "role": "pope"}]),
     "/nodes/2/data/approvers/0/role", "unknownRole"),
    ("unknown field selector", _set("nodes.leads.data.approvers",
                                    [{"kind": "field", "field": "boss"}]),
     "/nodes/2/data/approvers/0/field", "unknownField"),
    ("bad duration", _set("nodes.leads.data.due", "2 days"), "/nodes/2/data/due", "duration"),
    ("years in duration", _set("nodes.handle.data.due", "P1Y"), "/nodes/6/data/due",
     "duration"),
    ("k too large", _both(_set("nodes.leads.data.mode", "k_of_n"), _set(
        "nodes.leads.data.approvers", [{"kind": "user", "user": "agent1@example.com"}]),
        _set("nodes.leads.data.k", 2)), "/nodes/2/data/k", "kTooLarge"),
    ("k without k_of_n", _set("nodes.leads.data.k", 1), "/nodes/2/data/k", "unusedSetting"),
    ("k_of_n needs k", _set("nodes.leads.data.mode", "k_of_n"), "/nodes/2/data/k", "required"),
    ("timeout without due", _del("nodes.leads.data.due"), "/nodes/2/data/onTimeout",
     "needsDue"),
    ("wrong type", _set("nodes.leads.data.due", None), "/nodes/2/data/due", "type"),
    ("missing required", _del("nodes.leads.data.approvers"), "/nodes/2/data/approvers",
     "required"),
    ("remind needs remind", _set("nodes.leads.data.remindEvery", "PT4H"),
     "/nodes/2/data/remindEvery", "unusedSetting"),
    ("return needs returnTo", _set("nodes.leads.data.onReject", "return"),
     "/nodes/2/data/returnTo", "required"),
    ("return to a later node", _both(
        _set("nodes.leads.data.onReject", "return"), _set("nodes.leads.data.returnTo", "pay"),
        _drop_edge("e5")), "/nodes/2/data/returnTo", "notEarlier"),
    ("return to the start", _both(
        _set("nodes.leads.data.onReject", "return"), _set("nodes.leads.data.returnTo", "start"),
        _drop_edge("e5")), "/nodes/2/data/returnTo", "notEarlier"),
    ("return to nothing", _both(
        _set("nodes.leads.data.onReject", "return"), _set("nodes.leads.data.returnTo", "gone"),
        _drop_edge("e5")), "/nodes/2/data/returnTo", "unknownNode"),
    ("rejected edge with return", _both(
        _set("nodes.leads.data.onReject", "return"), _set("nodes.leads.data.returnTo", "route")),
     "/edges/4", "tooManyEdges"),
    ("webhook url", _set("nodes.pay.data.url", "ftp://x.example"), "/nodes/3/data/url", "url"),
    ("relative url", _set("nodes.pay.data.url", "/refunds"), "/nodes/3/data/url", "url"),
    ("placeholder", _set("nodes.tell-rejected.data.body", "Order {{order}}"),
     "/nodes/4/data/body", "unknownField"),
    ("unknown handle", _set("edges.e6.sourceHandle", "approved"), "/edges/5/sourceHandle",
     "unknownHandle"),
    ("missing approved edge", _drop_edge("e4"), "/nodes/2", "missingEdge"),
    ("two exits", _add_edge("queue", "done"), "/edges/9", "tooManyEdges"),
    ("self loop", _add_edge("route", "route", when=AMOUNT, priority=2), "/edges/9/target",
     "selfLoop"),
    ("edge into start", _add_edge("handle", "start"), "/edges/9/target", "edgeIntoStart"),
    ("edge to nothing", _add_edge("queue", "ghost"), "/edges/9/target", "unknownNode"),
    ("duplicate node id", _add_node("route", "end", outcome="resolved"), "/nodes/9/id",
     "duplicateId"),
    ("duplicate edge id", _set("edges.e2.id", "e1"), "/edges/1/id", "duplicateId"),
    ("second start", _add_node("start2", "start", trigger="manual"), "/nodes/9/type",
     "extraStart"),
    ("unreachable", _add_node("lonely", "end", outcome="resolved"), "/nodes/9", "unreachable"),
    ("no way out", _both(_drop_edge("e9"), _add_edge("handle", "queue")), "/nodes/5",
     "noPathToEnd"),
    ("no default", _set("edges.e3.data", {"when": AMOUNT, "priority": 2}), "/nodes/1",
     "noDefaultEdge"),
    ("two defaults", _set("edges.e2.data", {"default": True}), "/edges/2/data/default",
     "extraDefaultEdge"),
    ("when on default", _set("edges.e3.data.when", AMOUNT), "/edges/2/data/when",
     "whenOnDefault"),
    ("missing when", _set("edges.e2.data", {"priority": 1}), "/edges/1/data/when",
     "missingWhen"),
    ("missing priority", _add_edge("route", "leads", when=AMOUNT), "/edges/9/data/priority",
     "missingPriority"),
    ("duplicate priority", _add_edge("route", "queue", when=AMOUNT, priority=1),
     "/edges/9/data/priority", "duplicatePriority"),
    ("condition on a plain edge", _set("edges.e6.data", {"when": AMOUNT}), "/edges/5/data/when",
     "conditionNotAllowed"),
    ("condition unknown field", _set("edges.e2.data.when", {
        "properties": {"weight": {"minimum": 1}}, "required": ["weight"]}),
     "/edges/1/data/when/properties/weight", "unknownConditionField"),
    ("condition not required", _set("edges.e2.data.when", {
        "properties": {"amount": {"minimum": 1}}}),
     "/edges/1/data/when/properties/amount", "conditionNotRequired"),
    ("condition ref", _set("edges.e2.data.when", {"$ref": "#/x"}), "/edges/1/data/when/$ref",
     "conditionRef"),
    ("condition keyword", _set("edges.e2.data.when", {"minProperties": 1}),
     "/edges/1/data/when/minProperties", "conditionKeyword"),
    ("no start", _set("nodes.start.type", "exclusive"), "/nodes", "noStart"),
    ("synchronous cycle", _both(_drop_edge("e8"), _add_edge("queue", "route")), "/nodes/1",
     "synchronousCycle"),
]


@pytest.mark.parametrize(("mutate", "pointer", "code"),
                         [case[1:] for case in REFUND_CASES],
                         ids=[case[0] for case in REFUND_CASES])
def test_flow_each_problem_is_found_where_it_is(mutate, pointer, code):
    """A single defect in a valid flow is reported at its pointer with its code."""
    flow = refund()
    mutate(flow)
    assert (pointer, code) in found(flow), sorted(found(flow))


PARALLEL_CASES: list[tuple[str, Mutation, str, str]] = [
    ("split names no join", _set("nodes.split.data.join", "end"), "/nodes/1/data/join",
     "unknownJoin"),
    ("join without split", _both(_set("nodes.split.data.join", "b"),
                                 _set("nodes.b.type", "parallel_join"),
                                 _set("nodes.b.data", {})), "/nodes/4", "joinWithoutSplit"),
    ("one branch", _drop_edge("e3"), "/nodes/1", "missingEdge"),
    ("branch ends early", _both(_add_node("out", "end", outcome="cancelled"),
                                _set("edges.e5.target", "out")), "/edges/2", "branchEscapes"),
    ("branch loops to split", _both(_set("nodes.b.type", "approval"), _set("nodes.b.data", {
        "approvers": [{"kind": "manager"}], "mode": "single"}),
        _set("edges.e5.sourceHandle", "approved"), _add_edge("b", "split", "rejected")),
     "/edges/2", "branchLoops"),
    ("branches merge", _set("edges.e4.target", "b"), "/edges/4", "branchesMerge"),
    ("join from outside", _both(_add_node("side", "user_task", title="side"),
                                _add_edge("start", "side"),
                                _add_edge("side", "join")), "/edges/7", "joinOutsideSplit"),
    ("second split on one join", _both(
        _add_node("split2", "parallel_split", join="join"), _set("edges.e1.target", "split2"),
        _add_edge("split2", "split"), _add_edge("split2", "join")),
     "/nodes/6/data/join", "sharedJoin"),
]


@pytest.mark.parametrize(("mutate", "pointer", "code"),
                         [case[1:] for case in PARALLEL_CASES],
                         ids=[case[0] for case in PARALLEL_CASES])
def test_flow_parallel_regions_are_checked(mutate, pointer, code):
    """Splits and joins pair up, and branches stay between them."""
    flow = parallel()
    mutate(flow)
    assert (pointer, code) in found(flow), sorted(found(flow))


@pytest.mark.parametrize(("flow", "path", "value", "code", "message"), [
    (parallel, "nodes.a.data.title", None, "titleMissing", "Give this step a title."),
    (parallel, "nodes.a.data.title", {}, "titleMissing", "Give this step a title."),
    (refund, "nodes.tell-rejected.data.body", None, "messageMissing",
     "Write the message to send."),
    (refund, "nodes.tell-rejected.data.body", {}, "messageMissing",
     "Write the message to send."),
], ids=["task title left out", "task title empty", "message left out", "message empty"])
def test_flow_missing_text_says_what_to_write(flow, path, value, code, message):
    """A required text left out, or with no language written (the designer cleared the
    boxes), is one problem at its pointer that says what to do, not the schema's wording."""
    definition = flow()
    (_del(path) if value is None else _set(path, value))(definition)
    _kind, item_id, *_rest, key = path.split(".")
    index = next(i for i, n in enumerate(definition["nodes"]) if n["id"] == item_id)
    at = f"/nodes/{index}/data/{key}"
    problems = [p for p in validate_flow(definition, directory=REFS) if p.pointer == at]
    assert [(p.code, p.message) for p in problems] == [(code, message)]


def test_flow_optional_or_other_texts_keep_the_schema_message():
    """Only a node type's required texts are reworded: an empty optional subject is not."""
    definition = refund()
    node(definition, "tell-rejected")["data"]["subject"] = {}
    problems = {(p.pointer, p.code) for p in validate_flow(definition, directory=REFS)}
    index = next(i for i, n in enumerate(definition["nodes"]) if n["id"] == "tell-rejected")
    assert problems == {(f"/nodes/{index}/data/subject", "minProperties")}


def test_flow_entering_a_region_from_outside():
    """An edge from outside into a node between a split and its join is refused."""
    flow = parallel()
    flow["nodes"][0] = {"id": "start", "type": "start", "data": {"trigger": "manual"}}
    flow["nodes"].append({"id": "pre", "type": "exclusive", "data": {}})
    flow["edges"][0]["target"] = "pre"
    flow["edges"] += [
        {"id": "p1", "source": "pre", "target": "split", "data": {"default": True}},
        {"id": "p2", "source": "pre", "target": "a", "data": {"when": {}, "priority": 1}},
    ]
    assert ("/edges/7", "entersParallelRegion") in found(flow)


def test_flow_cycle_through_an_approval_is_fine():
    """Rejection back to an earlier step is a loop with a wait in it: allowed."""
    flow = refund()
    node(flow, "leads")["data"].update({"onReject": "return", "returnTo": "route"})
    flow["edges"] = [e for e in flow["edges"] if e["id"] != "e5"]
    flow["nodes"] = [n for n in flow["nodes"] if n["id"] not in ("tell-rejected", "declined")]
    flow["edges"] = [e for e in flow["edges"] if e["id"] != "e7"]
    assert found(flow) == set()


def test_flow_wait_rules():
    """Event waits with a timeout need a timeout edge; date waits take a date or a field."""
    flow = json.loads((FLOWS / "repair-flow.json").read_text())
    confirm = node(flow, "confirm")
    flow["edges"] = [e for e in flow["edges"] if e["id"] != "e9"]
    assert ("/nodes/6", "missingEdge") in found(flow)
    confirm["data"] = {"for": "date", "date": "tomorrow"}
    assert ("/nodes/6/data/date", "date") in found(flow)
    confirm["data"] = {"for": "date"}
    assert ("/nodes/6/data/date", "dateOrField") in found(flow)
    confirm["data"] = {"for": "date", "field": "when_due"}
    assert ("/nodes/6/data/field", "unknownField") in found(flow)
    confirm["data"] = {"for": "duration", "duration": "PT4H", "timeout": "P1D"}
    assert ("/nodes/6/data/timeout", "unusedSetting") in found(flow)


def test_flow_assign_and_lookup_references():
    """field_map teams, skills fields, lookup targets and set fields must exist."""
    flow = json.loads((FLOWS / "repair-flow.json").read_text())
    region = node(flow, "region")["data"]
    region["map"]["north"] = "ghosts"
    region["field"] = "zone"
    assert {("/nodes/1/data/map/north", "unknownTeam"),
            ("/nodes/1/data/field", "unknownField")} <= found(flow)
    node(flow, "ask")["data"] = {"action": "lookup", "url": "https://crm.example/c",
                                 "map": {"level": "no-slash", "product": "/p"}}
    pairs = found(flow)
    assert ("/nodes/5/data/map/level", "jsonPointer") in pairs
    assert ("/nodes/5/data/map/level", "unknownField") in pairs
    node(flow, "ask")["data"] = {"action": "set", "set": {"fields": {"colour": "red"}}}
    assert ("/nodes/5/data/set/fields/colour", "unknownField") in found(flow)


def test_flow_unbound_flow_skips_field_checks_but_not_shape():
    """Without a bound form any field key may exist; conditions must still require keys."""
    flow = refund()
    node(flow, "start")["data"] = {"trigger": "ticket.created"}
    edge(flow, "e2")["data"]["when"] = {"properties": {"anything": {"const": 1}},
                                        "required": ["anything"]}
    assert found(flow) == set()
    edge(flow, "e2")["data"]["when"] = {"properties": {"anything": {"const": 1}}}
    assert ("/edges/1/data/when/properties/anything", "conditionNotRequired") in found(flow)


def test_flow_conditions_may_use_ticket_and_requester():
    """_ticket and _requester are condition keys besides the form's fields."""
    flow = refund()
    edge(flow, "e2")["data"]["when"] = {
        "properties": {"_requester": {"properties": {"level": {"const": "vip"}},
                                      "required": ["level"]}},
        "required": ["_requester"]}
    assert found(flow) == set()


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("hostile", [
    None, 1, "flow", [], {}, {"nodes": None}, {"formatVersion": 1, "nodes": {}, "edges": []},
    {"formatVersion": 1, "nodes": [None, [], "x", 5], "edges": [None, {}, {"id": 5}]},
    {"formatVersion": 1, "nodes": [{"id": "a", "type": "start", "data": []}], "edges": []},
    {"formatVersion": 1, "nodes": [{"id": "s", "type": "start", "data": {"trigger": "manual"}}],
     "edges": [{"id": "e", "source": "s", "target": "s", "data": {"when": []}}]},
    {"formatVersion": 1, "nodes": [], "edges": [], "x": _deep(5000)},
    {"formatVersion": 1, "nodes": [{"id": "a", "type": "end", "position": {"x": math.nan}}],
     "edges": []},
    {"formatVersion": 1, "nodes": [{"id": f"n{i}", "type": "end", "data": {}}
                                   for i in range(600)], "edges": []},
    {"formatVersion": 1, "nodes": [], "edges": [{"id": "e"}] * 100_001},
])
def test_flow_hostile_definitions_give_problems_not_exceptions(hostile):
    """Wrong types anywhere, huge, deep, NaN: problems with pointers, never an exception."""
    problems = validate_flow(hostile, directory=REFS)
    assert problems
    assert all(p.pointer == "" or p.pointer.startswith("/") for p in problems)


def test_flow_long_synchronous_chain_and_cycle_do_not_recurse():
    """500 exclusive nodes in a ring: one synchronous-cycle problem, no RecursionError."""
    count = 500
    nodes = [{"id": "s", "type": "start", "data": {"trigger": "manual"}},
             {"id": "end", "type": "end", "data": {"outcome": "resolved"}}]
    nodes += [{"id": f"x{i}", "type": "exclusive", "data": {}} for i in range(count - 2)]
    edges = [{"id": "e0", "source": "s", "target": "x0"}]
    for i in range(count - 2):
        edges.append({"id": f"d{i}", "source": f"x{i}", "target": f"x{(i + 1) % (count - 2)}",
                      "data": {"default": True}})
        if i == count - 3:
            edges.append({"id": "out", "source": f"x{i}", "target": "end",
                          "data": {"when": {}, "priority": 1}})
    codes = [p.code for p in validate_flow({"formatVersion": 1, "nodes": nodes, "edges": edges},
                                           directory=REFS)]
    assert codes == ["synchronousCycle"]


def test_flow_schema_is_a_valid_2020_12_schema():
    """The assembled structure schema is itself valid."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(flow_schema())


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT4H", 4 * 3600), ("P2D", 2 * 86400), ("P1DT12H", 36 * 3600), ("P1W", 7 * 86400),
    ("PT1.5S", 1.5), ("PT90M", 5400),
])
def test_flow_durations_parse(text, seconds):
    """ISO 8601 durations without years or months parse to their length."""
    parsed = parse_duration(text)
    assert parsed is not None and parsed.total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "P1Y", "P1M", "4h", "P1DT", "PT-1H", None, 5,
                                  "P9999999D"])
def test_flow_bad_durations_do_not_parse(text):
    """Anything else is not a duration."""
    assert parse_duration(text) is None


def test_flow_rfc3339_dates():
    """Dates and zoned date-times are RFC 3339; local times and words are not."""
    assert is_rfc3339("2026-12-01") and is_rfc3339("2026-12-01T10:00:00Z")
    assert not is_rfc3339("2026-12-01T10:00:00") and not is_rfc3339("tomorrow")
