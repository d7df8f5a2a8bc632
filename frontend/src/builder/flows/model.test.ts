import refundFlow from "../../../../builder/flows/demo/refund-flow.json";
import { describe, expect, it } from "vitest";
import {
  autoLayout,
  canonicalJson,
  fieldsOf,
  flattenCondition,
  formatDuration,
  freshId,
  nestCondition,
  parseDuration,
  pathEdges,
  placeProblems,
  readDefinition,
  statusGroups,
  toDefinition,
  type TicketStatus,
} from "./model";

// A fresh copy per use: the demo flow that docket seeds (builder/flows/demo).
const refund = JSON.parse(JSON.stringify(refundFlow));

describe("definition <-> canvas", () => {
  it("round-trips the demo refund flow unchanged", () => {
    const definition = readDefinition(refund);
    const canvasNodes = definition.nodes.map((n) => ({ ...n, selected: true, measured: { width: 1 } }));
    const canvasEdges = definition.edges.map((e) => ({ ...e, animated: true, sourceHandle: e.sourceHandle ?? null }));
    expect(toDefinition(definition, canvasNodes, canvasEdges)).toEqual(refund);
  });

  it("drops canvas-only keys and UI marks, rounds positions, keeps unknown keys", () => {
    const base = readDefinition({
      key: "k", nodes: [{ id: "a", type: "end", position: { x: 0, y: 0 }, data: {}, note: "kept" }],
      edges: [],
    });
    const out = toDefinition(
      base,
      [{ id: "a", type: "end", position: { x: 1.6, y: -2.2 }, data: { outcome: "resolved", _problems: ["x"], _sim: "on" } }],
      [{ id: "e1", source: "a", target: "a", sourceHandle: null, data: { _reason: "r" } }],
    );
    expect(out.nodes).toEqual([{ id: "a", type: "end", position: { x: 2, y: -2 }, data: { outcome: "resolved" }, note: "kept" }]);
    expect(out.edges).toEqual([{ id: "e1", source: "a", target: "a" }]);
    expect(out.key).toBe("k");
    expect(out.formatVersion).toBe(1);
  });

  it("reads odd drafts without throwing", () => {
    expect(readDefinition(null)).toEqual({ formatVersion: 1, nodes: [], edges: [] });
    const odd = readDefinition({ nodes: [5, { type: 3, position: "x" }], edges: [{ source: 1 }] });
    expect(odd.nodes).toEqual([{ id: "node1", type: "action", position: { x: 0, y: 0 }, data: {} }]);
    expect(odd.edges[0]).toMatchObject({ id: "e1", source: "1", target: "" });
  });
});

describe("freshId", () => {
  it("numbers past taken ids and keeps ids valid", () => {
    expect(freshId("approval", ["approval1", "approval2"])).toBe("approval3");
    expect(freshId("user_task", [])).toBe("user_task1");
    expect(freshId("9$", [])).toBe("n1");
  });
});

describe("placeProblems", () => {
  it("maps pointers to the node or edge at that index, by id", () => {
    const definition = readDefinition(refund);
    const placed = placeProblems(definition, [
      { pointer: "/nodes/2/data/approvers/0/team", message: "no such team" },
      { pointer: "/edges/1/data/when", message: "bad condition" },
      { pointer: "/nodes/2", message: "unreachable" },
      { pointer: "/nodes/99/type", message: "gone" },
      { pointer: "", message: "whole flow" },
      { pointer: "/nodes/x", message: "odd" },
    ]);
    expect(placed.nodes).toEqual({ leads: ["no such team", "unreachable"] });
    expect(placed.edges).toEqual({ e2: ["bad condition"] });
    expect(placed.general).toEqual(["gone", "whole flow", "odd"]);
  });
});

describe("autoLayout", () => {
  it("keeps ids, order and data; lays out left to right", () => {
    const definition = readDefinition(refund);
    const laid = autoLayout(definition.nodes, definition.edges);
    expect(laid.map((n) => n.id)).toEqual(definition.nodes.map((n) => n.id));
    expect(laid.map((n) => n.data)).toEqual(definition.nodes.map((n) => n.data));
    const x = Object.fromEntries(laid.map((n) => [n.id, n.position.x]));
    expect(x.start).toBeLessThan(x.route);
    expect(x.route).toBeLessThan(x.leads);
    expect(x.leads).toBeLessThan(x.pay);
    expect(x.pay).toBeLessThan(x.done);
  });

  it("ignores edges to missing nodes", () => {
    const laid = autoLayout([{ id: "a", position: { x: 5, y: 5 } }], [{ source: "a", target: "zz" }]);
    expect(laid).toHaveLength(1);
  });
});

describe("conditions on _ticket and _requester", () => {
  const flat = {
    allOf: [
      { properties: { "_ticket.priority": { const: "urgent" } }, required: ["_ticket.priority"] },
      { properties: { amount: { exclusiveMinimum: 1000 } }, required: ["amount"] },
      { not: { required: ["_requester.level"] } },
    ],
  };
  const nested = {
    allOf: [
      { properties: { _ticket: { properties: { priority: { const: "urgent" } }, required: ["priority"] } }, required: ["_ticket"] },
      { properties: { amount: { exclusiveMinimum: 1000 } }, required: ["amount"] },
      { not: { properties: { _requester: { required: ["level"] } }, required: ["_requester"] } },
    ],
  };

  it("nests dotted keys under the reserved key, each level required", () => {
    expect(nestCondition(flat)).toEqual(nested);
  });

  it("flattens what it nested", () => {
    expect(flattenCondition(nested)).toEqual(flat);
  });

  it("leaves plain conditions and other keys alone", () => {
    const plain = { properties: { "a.b": { const: 1 } }, required: ["a.b"] };
    expect(nestCondition(plain)).toEqual(plain);
    expect(flattenCondition(plain)).toEqual(plain);
    expect(nestCondition(undefined)).toBeUndefined();
    const handWritten = { properties: { _ticket: { properties: { x: {} }, minProperties: 1 } }, required: ["_ticket"] };
    expect(flattenCondition(handWritten)).toEqual(handWritten);
  });
});

describe("durations", () => {
  it("reads and writes the simple ISO forms", () => {
    expect(parseDuration("P2D")).toEqual({ amount: 2, unit: "D" });
    expect(parseDuration("PT4H")).toEqual({ amount: 4, unit: "H" });
    expect(parseDuration("PT30M")).toEqual({ amount: 30, unit: "M" });
    expect(parseDuration("P1DT12H")).toBeNull();
    expect(parseDuration(5)).toBeNull();
    expect(formatDuration(3, "H")).toBe("PT3H");
    expect(formatDuration(2, "D")).toBe("P2D");
  });
});

describe("pathEdges", () => {
  it("lights the edges the path took, not the branches it skipped", () => {
    const definition = readDefinition(refund);
    const walked = pathEdges(["start", "route", "leads", "pay", "done"], definition.edges);
    expect([...walked].sort()).toEqual(["e1", "e2", "e4", "e6"]);
  });
});

describe("fieldsOf", () => {
  it("lists valued top-level fields with localized labels and options", () => {
    const form = {
      fields: [
        { key: "category", type: "select", label: { en: "Category", "zh-CN": "类别" },
          options: [{ value: "refund", label: { en: "Refund", "zh-CN": "退款" } }] },
        { key: "note", type: "static", label: "Read me" },
        { key: "amount", type: "number" },
        { type: "text", label: "no key" },
        "junk",
      ],
    };
    expect(fieldsOf(form, "zh-CN")).toEqual([
      { key: "category", type: "select", label: "类别", options: [{ value: "refund", label: "退款" }] },
      { key: "amount", type: "number", label: "amount" },
    ]);
    expect(fieldsOf(null, "en")).toEqual([]);
  });
});

describe("canonicalJson", () => {
  it("ignores key order, keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it("sees the demo flow unchanged after a trip through the canvas", () => {
    const definition = readDefinition(refund);
    const again = toDefinition(definition, definition.nodes, definition.edges);
    expect(canonicalJson(again)).toBe(canonicalJson(definition));
  });
});

describe("statusGroups", () => {
  // As GET /api/v1/statuses answers: by category, then position; inactive ones included.
  const row = (key: string, category: string, en: string, zh?: string, active = true): TicketStatus =>
    ({ key, category, label: zh ? { en, "zh-CN": zh } : { en }, position: 0, active });
  const statuses = [
    row("new", "new", "New", "新建"),
    row("open", "open", "Open", "处理中"), row("in_progress", "open", "In progress", "进行中"),
    row("pending", "pending", "Pending", "等待中"), row("waiting_parts", "pending", "Waiting for parts", "等待配件"),
    row("on_hold", "pending", "On hold", undefined, false),
    row("resolved", "resolved", "Resolved", "已解决"), row("refunded", "resolved", "Refunded"),
    row("closed", "closed", "Closed", "已关闭"),
  ];

  it("lists the active custom statuses under their categories, in category order", () => {
    expect(statusGroups(statuses, "en", "")).toEqual([
      { category: "new", options: [["new", "New"]] },
      { category: "open", options: [["open", "Open"], ["in_progress", "In progress"]] },
      { category: "pending", options: [["pending", "Pending"], ["waiting_parts", "Waiting for parts"]] },
      { category: "resolved", options: [["resolved", "Resolved"], ["refunded", "Refunded"]] },
      { category: "closed", options: [["closed", "Closed"]] },
    ]);
  });

  it("labels in the designer's language, English where no translation was written", () => {
    const pending = statusGroups(statuses, "zh-CN", "", ["pending", "resolved"]);
    expect(pending).toEqual([
      { category: "pending", options: [["pending", "等待中"], ["waiting_parts", "等待配件"]] },
      { category: "resolved", options: [["resolved", "已解决"], ["refunded", "Refunded"]] },
    ]);
  });

  it("offers only the given categories (an end's outcome) and keeps a chosen status that no longer fits", () => {
    expect(statusGroups(statuses, "en", "refunded", ["resolved"])).toEqual([
      { category: "resolved", options: [["resolved", "Resolved"], ["refunded", "Refunded"]] },
    ]);
    expect(statusGroups(statuses, "en", "waiting_parts", ["closed"]).at(-1))
      .toEqual({ category: "", options: [["waiting_parts", "Waiting for parts ⚠"]] });
    expect(statusGroups(statuses, "en", "on_hold").at(-1))
      .toEqual({ category: "", options: [["on_hold", "On hold ⚠"]] });
    expect(statusGroups(statuses, "en", "gone").at(-1)).toEqual({ category: "", options: [["gone", "gone ⚠"]] });
  });

  it("offers nothing but a kept value before the statuses have loaded", () => {
    expect(statusGroups([], "en", "")).toEqual([]);
    expect(statusGroups([], "en", "open")).toEqual([{ category: "", options: [["open", "open ⚠"]] }]);
  });
});
