/**
 * The flow designer's pure logic: the node registry the canvas draws from, the stored
 * definition <-> canvas conversion, problem pointers -> nodes and edges, auto-layout, and
 * branch conditions on `_ticket.x` / `_requester.x` (the condition editor names fields
 * flatly; the stored condition nests them under the reserved key, docs/flows.md).
 *
 * The stored shape is React Flow's (DESIGN.md): nodes {id, type, position, data} and edges
 * {id, source, target, sourceHandle?, data?}. Whatever the canvas adds (selection, measured
 * sizes, classes) is dropped when saving, and keys the designer does not know are kept.
 */
import dagre from "@dagrejs/dagre";
import type { Lang } from "../shared/api";
import type { ConditionField } from "../shared/conditionRows";
import { localize } from "../shared/i18n";

export type NodeType =
  | "start"
  | "exclusive"
  | "parallel_split"
  | "parallel_join"
  | "assign"
  | "approval"
  | "user_task"
  | "action"
  | "wait"
  | "end";

export type Data = Record<string, unknown>;

export interface FlowNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: Data;
}

export interface FlowEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  data?: Data;
}

export interface Definition {
  formatVersion?: number;
  nodes: FlowNode[];
  edges: FlowEdge[];
  [key: string]: unknown;
}

export interface NodeSpec {
  type: NodeType;
  /** Glyph drawn on the palette and the node. */
  icon: string;
  /** Accent colour of the node. */
  color: string;
  inputs: boolean;
  /** Source handles: null is the one unnamed output. */
  outputs: (data: Data) => (string | null)[];
  defaults: () => Data;
}

const one = () => [null];

/** Every node type the engine runs, in palette order. */
export const NODE_SPECS: readonly NodeSpec[] = [
  { type: "start", icon: "▶", color: "#067647", inputs: false, outputs: one,
    defaults: () => ({ trigger: "manual" }) },
  { type: "exclusive", icon: "◆", color: "#b54708", inputs: true, outputs: one,
    defaults: () => ({}) },
  { type: "parallel_split", icon: "⇉", color: "#6941c6", inputs: true, outputs: one,
    defaults: () => ({}) },
  { type: "parallel_join", icon: "⇛", color: "#6941c6", inputs: true, outputs: one,
    defaults: () => ({}) },
  { type: "assign", icon: "☺", color: "#1b5fa8", inputs: true, outputs: one,
    defaults: () => ({ strategy: "round_robin" }) },
  { type: "approval", icon: "✔", color: "#c11574", inputs: true,
    outputs: () => ["approved", "rejected", "timeout"],
    defaults: () => ({ approvers: [], mode: "single" }) },
  { type: "user_task", icon: "✎", color: "#1f6f5c", inputs: true, outputs: one,
    defaults: () => ({ title: {} }) },
  { type: "action", icon: "⚡", color: "#ca8504", inputs: true, outputs: one,
    defaults: () => ({ action: "set", set: { status: "open" } }) },
  { type: "wait", icon: "◷", color: "#475467", inputs: true,
    outputs: (data) => (data.for === "event" && data.timeout ? [null, "timeout"] : [null]),
    defaults: () => ({ for: "duration", duration: "P1D" }) },
  { type: "end", icon: "■", color: "#b42318", inputs: true, outputs: () => [],
    defaults: () => ({ outcome: "resolved" }) },
];

/** The five status categories, in their order. */
export const STATUS_CATEGORIES = ["new", "open", "pending", "resolved", "closed"] as const;

/** The category an end's outcome puts the ticket in (builder/flows/nodes/control.py). */
export const OUTCOME_CATEGORY: Record<string, string> = {
  resolved: "resolved", rejected: "closed", cancelled: "closed",
};

/** A row of GET /api/v1/statuses (by category, then position). */
export interface TicketStatus {
  key: string;
  category: string;
  label: unknown;
  position: number;
  active: boolean;
}

/** Options of a status picker under one category; `category` "" holds a value no longer offered. */
export interface StatusGroup {
  category: string;
  options: [string, string][];
}

/**
 * A status picker's options: the active statuses of `categories`, grouped by category in
 * category order, labelled in `lang`. A `current` key that is not among them (deactivated,
 * in another category, or unknown) is kept as a last, ungrouped option marked ⚠, so that
 * opening a node never changes what it names.
 */
export function statusGroups(
  statuses: readonly TicketStatus[], lang: Lang, current: string,
  categories: readonly string[] = STATUS_CATEGORIES,
): StatusGroup[] {
  const groups = categories.map((category) => ({
    category,
    options: statuses.filter((s) => s.active && s.category === category)
      .map((s): [string, string] => [s.key, localize(s.label, lang) || s.key]),
  })).filter((group) => group.options.length > 0);
  if (current && !groups.some((group) => group.options.some(([key]) => key === current))) {
    const known = statuses.find((s) => s.key === current);
    groups.push({ category: "", options: [[current, `${(known && localize(known.label, lang)) || current} ⚠`]] });
  }
  return groups;
}

export const SPEC: Record<string, NodeSpec> = Object.fromEntries(
  NODE_SPECS.map((spec) => [spec.type, spec]),
);

const ID = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** A fresh id like `approval2`, valid and unused among `taken`. */
export function freshId(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = prefix.replace(/[^A-Za-z0-9_-]/g, "").replace(/^[^A-Za-z]+/, "") || "n";
  for (let n = 1; ; n += 1) {
    const id = `${base}${n}`.slice(0, 64);
    if (!used.has(id) && ID.test(id)) return id;
  }
}

/** A definition from whatever the draft holds (drafts may be incomplete or odd). */
export function readDefinition(raw: unknown): Definition {
  const source = raw !== null && typeof raw === "object" && !Array.isArray(raw)
    ? (raw as Record<string, unknown>) : {};
  const nodes = Array.isArray(source.nodes) ? source.nodes : [];
  const edges = Array.isArray(source.edges) ? source.edges : [];
  return {
    ...source,
    formatVersion: typeof source.formatVersion === "number" ? source.formatVersion : 1,
    nodes: nodes
      .filter((n): n is Record<string, unknown> => n !== null && typeof n === "object")
      .map((n, index) => ({
        ...n,
        id: typeof n.id === "string" ? n.id : `node${index + 1}`,
        type: typeof n.type === "string" ? n.type : "action",
        position: readPosition(n.position, index),
        data: isObject(n.data) ? (n.data as Data) : {},
      })),
    edges: edges
      .filter((e): e is Record<string, unknown> => e !== null && typeof e === "object")
      .map((e, index) => ({
        ...e,
        id: typeof e.id === "string" ? e.id : `e${index + 1}`,
        source: String(e.source ?? ""),
        target: String(e.target ?? ""),
        ...(typeof e.sourceHandle === "string" ? { sourceHandle: e.sourceHandle } : {}),
        ...(isObject(e.data) ? { data: e.data as Data } : {}),
      })),
  };
}

function readPosition(raw: unknown, index: number): { x: number; y: number } {
  if (isObject(raw)) {
    const { x, y } = raw as { x: unknown; y: unknown };
    if (typeof x === "number" && typeof y === "number" && Number.isFinite(x + y)) return { x, y };
  }
  return { x: index * 220, y: 0 };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

interface CanvasNodeLike {
  id: string;
  type?: string;
  position: { x: number; y: number };
  data: Data;
}

interface CanvasEdgeLike {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  data?: Data;
}

/**
 * The stored definition for what the canvas holds: exactly {id, type, position, data} per
 * node and {id, source, target, sourceHandle?, data?} per edge; positions rounded.
 * `base` gives the draft's other keys (formatVersion, key, title ...) and each node's and
 * edge's keys the canvas does not know, which are kept.
 */
export function toDefinition(
  base: Definition,
  nodes: CanvasNodeLike[],
  edges: CanvasEdgeLike[],
): Definition {
  const oldNodes = new Map(base.nodes.map((n) => [n.id, n]));
  const oldEdges = new Map(base.edges.map((e) => [e.id, e]));
  return {
    ...base,
    formatVersion: base.formatVersion ?? 1,
    nodes: nodes.map((n) => {
      const extra = { ...(oldNodes.get(n.id) ?? {}) } as Record<string, unknown>;
      for (const key of ["id", "type", "position", "data"]) delete extra[key];
      return {
        ...extra,
        id: n.id,
        type: n.type ?? "action",
        position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
        data: stripUi(n.data),
      };
    }),
    edges: edges.map((e) => {
      const extra = { ...(oldEdges.get(e.id) ?? {}) } as Record<string, unknown>;
      for (const key of ["id", "source", "target", "sourceHandle", "data"]) delete extra[key];
      const edge: FlowEdge = { ...extra, id: e.id, source: e.source, target: e.target };
      if (e.sourceHandle) edge.sourceHandle = e.sourceHandle;
      const data = e.data ? stripUi(e.data) : undefined;
      if (data && Object.keys(data).length > 0) edge.data = data;
      return edge;
    }),
  };
}

/** Keys the canvas adds to data for drawing (problems, simulation marks): never stored. */
export const UI_KEYS = ["_problems", "_sim", "_reason"] as const;

function stripUi(data: Data): Data {
  const copy = { ...data };
  for (const key of UI_KEYS) delete copy[key];
  return copy;
}

export interface ProblemLike {
  pointer: string;
  message: string;
  code?: string;
}

export interface PlacedProblems {
  nodes: Record<string, string[]>;
  edges: Record<string, string[]>;
  /** Problems about the whole flow (or a node/edge index that no longer exists). */
  general: string[];
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Which node or edge each problem's JSON pointer points into, in `definition` order. */
export function placeProblems(definition: Definition, problems: ProblemLike[]): PlacedProblems {
  const placed: PlacedProblems = { nodes: {}, edges: {}, general: [] };
  for (const problem of problems) {
    const [, collection, index] = problem.pointer.split("/").map(unescapeToken);
    const at = /^\d+$/.test(index ?? "") ? Number(index) : -1;
    const list = collection === "nodes" ? definition.nodes
      : collection === "edges" ? definition.edges : null;
    const item = list && at >= 0 ? list[at] : undefined;
    if (item && collection === "nodes") (placed.nodes[item.id] ??= []).push(problem.message);
    else if (item && collection === "edges") (placed.edges[item.id] ??= []).push(problem.message);
    else placed.general.push(problem.message);
  }
  return placed;
}

const NODE_W = 200;
const NODE_H = 64;

/** New positions (left to right) for every node; ids and everything else unchanged. */
export function autoLayout<N extends { id: string; position: { x: number; y: number } }>(
  nodes: N[],
  edges: { source: string; target: string }[],
): N[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 80, marginx: 20, marginy: 20 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: NODE_W, height: NODE_H });
  const ids = new Set(nodes.map((n) => n.id));
  for (const edge of edges) {
    if (ids.has(edge.source) && ids.has(edge.target)) graph.setEdge(edge.source, edge.target);
  }
  dagre.layout(graph);
  return nodes.map((node) => {
    const box = graph.node(node.id);
    return box
      ? { ...node, position: { x: Math.round(box.x - NODE_W / 2), y: Math.round(box.y - NODE_H / 2) } }
      : node;
  });
}

/** Reserved keys whose attributes conditions may name as `_ticket.priority` etc. */
const RESERVED = ["_ticket", "_requester"];

function splitDotted(key: string): [string, string] | null {
  const dot = key.indexOf(".");
  if (dot < 0) return null;
  const head = key.slice(0, dot);
  const tail = key.slice(dot + 1);
  return RESERVED.includes(head) && tail ? [head, tail] : null;
}

/**
 * A condition written with dotted keys (`_ticket.priority`) as it is stored: the attribute
 * nested under its reserved key, each level required (docs/flows.md).
 */
export function nestCondition(condition: unknown): unknown {
  if (Array.isArray(condition)) return condition.map(nestCondition);
  if (!isObject(condition)) return condition;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(condition)) {
    out[key] = key === "properties" || key === "required" ? value : nestCondition(value);
  }
  const properties = isObject(out.properties) ? out.properties : null;
  const required = Array.isArray(out.required) ? (out.required as unknown[]) : null;
  const dotted = new Set<string>([
    ...Object.keys(properties ?? {}),
    ...((required ?? []).filter((k) => typeof k === "string") as string[]),
  ].filter((k) => splitDotted(k)));
  if (dotted.size === 0) return out;
  const newProps: Record<string, unknown> = {};
  const newRequired: unknown[] = [];
  for (const [key, schema] of Object.entries(properties ?? {})) {
    if (!dotted.has(key)) newProps[key] = schema;
  }
  for (const key of required ?? []) if (typeof key !== "string" || !dotted.has(key)) newRequired.push(key);
  for (const key of dotted) {
    const [head, tail] = splitDotted(key)!;
    const inner = (isObject(newProps[head]) ? { ...newProps[head] } : {}) as Record<string, unknown>;
    if (properties && Object.hasOwn(properties, key)) {
      inner.properties = { ...(isObject(inner.properties) ? inner.properties : {}), [tail]: properties[key] };
    }
    if (required?.includes(key)) {
      inner.required = [...(Array.isArray(inner.required) ? inner.required : []), tail];
    }
    newProps[head] = inner;
    if (!newRequired.includes(head)) newRequired.push(head);
  }
  const result: Record<string, unknown> = { ...out };
  if (Object.keys(newProps).length > 0) result.properties = newProps;
  else delete result.properties;
  result.required = newRequired;
  return result;
}

/** The inverse of nestCondition: nested `_ticket`/`_requester` attributes as dotted keys. */
export function flattenCondition(condition: unknown): unknown {
  if (Array.isArray(condition)) return condition.map(flattenCondition);
  if (!isObject(condition)) return condition;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(condition)) {
    out[key] = key === "properties" || key === "required" ? value : flattenCondition(value);
  }
  const properties = isObject(out.properties) ? { ...out.properties } : null;
  const required = Array.isArray(out.required) ? [...(out.required as unknown[])] : null;
  if (!properties) return out;
  let changed = false;
  for (const head of RESERVED) {
    const inner = properties[head];
    if (!isObject(inner) || !required?.includes(head)) continue;
    const innerKeys = Object.keys(inner).filter((k) => k !== "properties" && k !== "required");
    if (innerKeys.length > 0) continue;
    const innerProps = isObject(inner.properties) ? inner.properties : {};
    const innerRequired = Array.isArray(inner.required) ? inner.required : [];
    delete properties[head];
    required.splice(required.indexOf(head), 1);
    for (const [tail, schema] of Object.entries(innerProps)) properties[`${head}.${tail}`] = schema;
    for (const tail of innerRequired) required.push(`${head}.${String(tail)}`);
    changed = true;
  }
  if (!changed) return out;
  const result: Record<string, unknown> = { ...out, required };
  if (Object.keys(properties).length > 0) result.properties = properties;
  else delete result.properties;
  return result;
}

/** ISO 8601 duration <-> amount + unit, for the simple cases the pickers offer. */
export type DurationUnit = "M" | "H" | "D";

export function parseDuration(value: unknown): { amount: number; unit: DurationUnit } | null {
  if (typeof value !== "string") return null;
  const match = /^P(?:(\d+)D|T(\d+)H|T(\d+)M)$/.exec(value);
  if (!match) return null;
  if (match[1]) return { amount: Number(match[1]), unit: "D" };
  if (match[2]) return { amount: Number(match[2]), unit: "H" };
  return { amount: Number(match[3]), unit: "M" };
}

export function formatDuration(amount: number, unit: DurationUnit): string {
  const whole = Math.max(0, Math.floor(amount));
  return unit === "D" ? `P${whole}D` : `PT${whole}${unit}`;
}

/** The edges a simulation walked: both ends visited, the source entered before the target
 * was last entered (parallel branches interleave in the path, so neighbours do not do). */
export function pathEdges(
  path: string[],
  edges: { id: string; source: string; target: string }[],
): Set<string> {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  path.forEach((node, index) => {
    if (!first.has(node)) first.set(node, index);
    last.set(node, index);
  });
  const walked = new Set<string>();
  for (const edge of edges) {
    const from = first.get(edge.source);
    const to = last.get(edge.target);
    if (from !== undefined && to !== undefined && from < to) walked.add(edge.id);
  }
  return walked;
}

/** Form field types that hold no value (layout and text), and files: never in conditions. */
const NO_VALUE_TYPES = new Set(["static", "section", "group", "repeat", "file", "static_text"]);

/** Condition fields of a form definition: top-level fields that hold a value. */
export function fieldsOf(definition: unknown, lang: Lang): ConditionField[] {
  const list = isObject(definition) && Array.isArray(definition.fields) ? definition.fields : [];
  return list.filter(isObject)
    .filter((f) => typeof f.key === "string" && typeof f.type === "string" && !NO_VALUE_TYPES.has(f.type))
    .map((f) => ({
      key: f.key as string,
      type: f.type as string,
      label: localize(f.label, lang) || (f.key as string),
      ...(Array.isArray(f.options) ? {
        options: f.options.filter(isObject).map((o) => ({ value: String(o.value), label: localize(o.label, lang) || String(o.value) })),
      } : {}),
    }));
}

/** JSON with object keys sorted: two definitions that mean the same compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v);
}
