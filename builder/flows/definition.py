"""Flow definitions: validation in two passes, the bound form, hashing.

Pass 1 checks the structure against ``flow.schema.json`` completed with one branch per
registered node type (its ``data`` schema). Pass 2 checks the meaning only on the parts
that passed pass 1: unique ids, edge endpoints, each node type's own rules and references
(forms, fields, users, teams, roles, given as ``FlowReferences`` so that validation stays
pure), branch conditions, and the graph rules of ``builder.flows.graph``. Anything nested
deeper than ``MAX_DEPTH``, larger than ``MAX_VALUES`` values or holding NaN/Infinity is
refused before either pass. Field references are checked against the bound form's field
keys as the caller's ``FlowReferences`` gives them (the service uses the form's latest
published version); a flow not bound to a form cannot have its field keys checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from builder.conditions import check_condition, referenced_keys
from builder.fields.values import UNSAFE_MESSAGES, find_unsafe_value, json_hash, pointer
from builder.flows.graph import Edge, Graph, Node, graph_problems
from builder.flows.nodes import NODE_TYPES, FlowContext, FlowReferences
from builder.flows.nodes.base import RESERVED_KEYS

# Pass-1 error translation and soundness are the forms' own, shared rather than copied.
from builder.forms.definition import _Soundness as Soundness
from builder.forms.definition import _structure_problems as structure_problems
from core.errors import Problem

__all__ = ["FlowReferences", "bound_form_key", "flow_hash", "flow_schema", "validate_flow"]

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "flow.schema.json"
MAX_DEPTH = 32
#: Far above any real flow (500 nodes with their data); bounds the work on hostile input.
MAX_VALUES = 200_000
#: A key of a node's data: ``/nodes/<index>/data/<key>``.
NODE_DATA_KEY = re.compile(r"^/nodes/(\d+)/data/([^/]+)$")


@cache
def flow_schema() -> dict[str, Any]:
    """The structure schema: flow.schema.json plus one branch per registered node type."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    defs = schema["$defs"]
    branches = []
    for name, node_type in NODE_TYPES.items():
        defs[f"node_{name}"] = node_type.schema()
        branches.append({
            "if": {"properties": {"type": {"const": name}}, "required": ["type"]},
            "then": {"properties": {"data": {"$ref": f"#/$defs/node_{name}"}}},
        })
    defs["node"] = {
        "type": "object",
        "required": ["id", "type", "data"],
        "properties": {**defs["nodeCommon"]["properties"], "type": {"enum": list(NODE_TYPES)}},
        "additionalProperties": False,
        "allOf": branches,
    }
    return schema


@cache
def _structure_validator() -> Draft202012Validator:
    return Draft202012Validator(flow_schema())


def bound_form_key(definition: Any) -> str | None:
    """The form whose submissions start this flow (start trigger form.submitted), if any."""
    nodes = definition.get("nodes") if isinstance(definition, dict) else None
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and node.get("type") == "start":
            data = node.get("data")
            if isinstance(data, dict) and data.get("trigger") == "form.submitted":
                form = data.get("form")
                return form if isinstance(form, str) else None
            return None
    return None


def flow_hash(definition: Any) -> str:
    """SHA-256 hex digest of the canonical JSON of ``definition``."""
    return json_hash(definition)


def validate_flow(definition: Any, *, directory: FlowReferences) -> list[Problem]:
    """Every problem with ``definition`` (empty when it can be published)."""
    unsafe = find_unsafe_value(definition, MAX_DEPTH, MAX_VALUES)
    if unsafe:
        return [Problem(unsafe[0], unsafe[1], UNSAFE_MESSAGES[unsafe[1]])]
    problems = [
        problem
        for error in _structure_validator().iter_errors(definition)
        for problem in structure_problems(error)
    ]
    if not isinstance(definition, dict):
        return problems
    nodes, edges = definition.get("nodes"), definition.get("edges")
    if isinstance(nodes, list):
        problems = [_say_what_to_do(problem, nodes) for problem in problems]
    if not (isinstance(nodes, list) and isinstance(edges, list)):
        return problems
    if len(nodes) > 500 or len(edges) > 2000:
        return problems  # pass 1 said so; the graph checks would only add noise
    sound = Soundness(problems)
    return problems + _meaning_problems(nodes, edges, sound, directory)


def _say_what_to_do(problem: Problem, nodes: list[Any]) -> Problem:
    """A required TEXT of a node's data left out or empty, told as what to write (the node
    type's ``missing_text``); any other problem as it is."""
    match = NODE_DATA_KEY.match(problem.pointer)
    if problem.code not in ("required", "minProperties") or not match:
        return problem
    index, key = int(match[1]), match[2]
    node = nodes[index] if index < len(nodes) else None
    node_type = NODE_TYPES.get(str(node.get("type"))) if isinstance(node, dict) else None
    missing = node_type.missing_text.get(key) if node_type else None
    return Problem(problem.pointer, *missing) if missing else problem


def _sound_nodes(nodes: list[Any], sound: Soundness) -> tuple[list[Node], list[Problem]]:
    found, problems, seen = [], [], set()
    for index, node in enumerate(nodes):
        at = pointer("/nodes", index)
        if not (isinstance(node, dict) and sound.ok(pointer(at, "id"))
                and sound.ok(pointer(at, "type")) and node.get("type") in NODE_TYPES
                and isinstance(node.get("id"), str)):
            continue
        if node["id"] in seen:
            problems.append(Problem(pointer(at, "id"), "duplicateId",
                                    "Another node has this id."))
        seen.add(node["id"])
        data: dict[str, Any] = node["data"] if isinstance(node.get("data"), dict) else {}
        found.append(Node(node["id"], index, node["type"], data))
    return found, problems


def _sound_edges(edges: list[Any], sound: Soundness) -> tuple[list[Edge], list[Problem]]:
    found, problems, seen = [], [], set()
    for index, edge in enumerate(edges):
        at = pointer("/edges", index)
        if not isinstance(edge, dict) or not all(
            sound.ok(pointer(at, name)) for name in ("id", "source", "target", "sourceHandle")
        ):
            continue
        if not all(isinstance(edge.get(name), str) for name in ("id", "source", "target")):
            continue
        if edge["id"] in seen:
            problems.append(Problem(pointer(at, "id"), "duplicateId",
                                    "Another edge has this id."))
        seen.add(edge["id"])
        data: dict[str, Any] = edge["data"] if isinstance(edge.get("data"), dict) else {}
        handle = edge.get("sourceHandle") or None
        found.append(Edge(edge["id"], index, edge["source"], edge["target"], handle, data))
    return found, problems


def _meaning_problems(
    nodes: list[Any], edges: list[Any], sound: Soundness, refs: FlowReferences
) -> list[Problem]:
    good_nodes, problems = _sound_nodes(nodes, sound)
    good_edges, edge_problems = _sound_edges(edges, sound)
    problems += edge_problems
    ids = {node.id for node in good_nodes}
    for edge in good_edges:
        problems += [
            Problem(pointer(edge.at, name), "unknownNode", f"There is no node '{value}'.")
            for name, value in (("source", edge.source), ("target", edge.target))
            if value not in ids
        ]
    graph = Graph.build(good_nodes, good_edges)
    start = next((n for n in graph.nodes.values() if n.type == "start"), None)
    form_key = bound_form_key({"nodes": [{"type": "start", "data": dict(start.data)}]}) \
        if start else None
    fields = refs.forms.get(form_key) if form_key else None
    ctx = FlowContext(
        refs=refs,
        fields=frozenset(fields) if fields is not None else None,
        node_ids=frozenset(ids),
        ancestors=graph.ancestors(),
        start_id=start.id if start else None,
    )
    for node in good_nodes:
        if sound.ok(pointer(node.at, "data")):
            problems += NODE_TYPES[node.type].meaning_problems(
                dict(node.data), pointer(node.at, "data"), replace(ctx, node_id=node.id)
            )
    problems += _branch_problems(graph, sound, ctx)
    return problems + graph_problems(graph)


def _branch_problems(graph: Graph, sound: Soundness, ctx: FlowContext) -> list[Problem]:
    """Edges leaving exclusive nodes: one default, a valid condition on every other one."""
    problems = []
    for node in (n for n in graph.nodes.values() if n.type == "exclusive"):
        out = [e for e in graph.edges if e.source == node.id]
        defaults = [e for e in out if e.data.get("default") is True]
        if out and not defaults:
            problems.append(Problem(node.at, "noDefaultEdge",
                                    "Mark exactly one outgoing edge as the default."))
        for extra in defaults[1:]:
            problems.append(Problem(pointer(extra.at, "data", "default"), "extraDefaultEdge",
                                    "Only one outgoing edge may be the default."))
        conditional = [e for e in out if e.data.get("default") is not True]
        priorities: dict[Any, int] = {}
        for edge in out:
            where = pointer(edge.at, "data", "when")
            if edge in defaults:
                if "when" in edge.data:
                    problems.append(Problem(where, "whenOnDefault",
                                            "The default edge takes no condition."))
                continue
            if "when" not in edge.data:
                problems.append(Problem(where, "missingWhen",
                                        "Give this edge a condition, or make it the default."))
            elif sound.ok(where):
                problems += _condition_problems(edge.data["when"], where, ctx)
            if len(conditional) > 1 and "priority" not in edge.data:
                problems.append(Problem(pointer(edge.at, "data", "priority"), "missingPriority",
                                        "Give each conditional edge a priority (lower first)."))
            elif "priority" in edge.data:
                if edge.data["priority"] in priorities:
                    problems.append(Problem(pointer(edge.at, "data", "priority"),
                                            "duplicatePriority",
                                            "Another edge of this branch has this priority."))
                priorities[edge.data["priority"]] = edge.index
    return problems


def _condition_problems(condition: Any, where: str, ctx: FlowContext) -> list[Problem]:
    """A branch condition over the form's fields plus ``_ticket`` and ``_requester``."""
    if ctx.fields is not None:
        return check_condition(condition, where, ctx.fields | RESERVED_KEYS)
    # Not bound to a known form: every key may exist; only the shape can be checked.
    return check_condition(condition, where, referenced_keys(condition) | RESERVED_KEYS)
