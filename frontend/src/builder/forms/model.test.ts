import { describe, expect, it } from "vitest";
import { historyReducer, initialHistory } from "./history";
import {
  addSection,
  duplicateField,
  fromDefinition,
  insertField,
  moveField,
  newField,
  problemTarget,
  removeField,
  removeSection,
  slug,
  stepField,
  toDefinition,
  type Definition,
} from "./model";

const flat: Definition = {
  formatVersion: 1,
  key: "f",
  title: { en: "F" },
  subjectField: "a",
  custom: { kept: true },
  fields: [
    { id: "f1", key: "a", type: "text", label: { en: "A" }, extra: 1 },
    { id: "f2", key: "b", type: "number", label: { en: "B" } },
    { id: "f3", key: "c", type: "select", label: { en: "C" }, options: [{ value: "x" }] },
  ],
};

const sectioned: Definition = {
  ...flat,
  layout: [
    { type: "section", id: "s1", title: { en: "One" }, children: ["f2", "f1"] },
    { type: "section", id: "s2", children: ["f3"] },
  ],
};

describe("definition round trip", () => {
  it("keeps a form without layout without layout", () => {
    const out = toDefinition(fromDefinition(flat));
    expect(out).toEqual(flat);
    expect("layout" in out).toBe(false);
  });

  it("reads an empty layout list as no layout, and never writes one", () => {
    const out = toDefinition(fromDefinition({ ...flat, layout: [] }));
    expect("layout" in out).toBe(false);
  });

  it("keeps sections and writes fields in display order", () => {
    const out = toDefinition(fromDefinition(sectioned));
    expect(out.layout).toEqual(sectioned.layout);
    expect(out.fields.map((f) => f.id)).toEqual(["f2", "f1", "f3"]);
  });

  it("puts fields the layout forgot into the last section", () => {
    const model = fromDefinition({ ...sectioned, layout: [{ type: "section", id: "s1", children: ["f1"] }] });
    expect(model.sections[0].children).toEqual(["f1", "f2", "f3"]);
  });

  it("survives garbage", () => {
    for (const raw of [null, 3, "x", { fields: "no" }, { fields: [null, 1, { type: 5 }] }]) {
      const out = toDefinition(fromDefinition(raw));
      expect(out.formatVersion).toBe(1);
      expect(Array.isArray(out.fields)).toBe(true);
    }
  });
});

describe("editing", () => {
  it("adds fields with fresh ids and unique keys from the label", () => {
    const model = fromDefinition(flat);
    const field = newField(model, "text", { en: "A" });
    expect(field.id).toBe("f4");
    expect(field.key).toBe("a_2");
    const staticText = newField(model, "static", { en: "Note" });
    expect(staticText.key).toBeUndefined();
    expect(staticText.label).toBeUndefined();
  });

  it("moves within and across sections", () => {
    let model = fromDefinition(sectioned);
    model = moveField(model, "f1", "s2", 0);
    expect(model.sections.map((s) => s.children)).toEqual([["f2"], ["f1", "f3"]]);
    model = stepField(model, "f1", -1);
    expect(model.sections.map((s) => s.children)).toEqual([["f2", "f1"], ["f3"]]);
    model = stepField(model, "f2", -1);
    expect(model.sections.map((s) => s.children)).toEqual([["f2", "f1"], ["f3"]]);
    model = stepField(model, "f1", 1);
    expect(model.sections.map((s) => s.children)).toEqual([["f2"], ["f1", "f3"]]);
  });

  it("removing a section hands its fields to the one before", () => {
    const model = removeSection(fromDefinition(sectioned), "s2");
    expect(model.sections.map((s) => s.children)).toEqual([["f2", "f1", "f3"]]);
    const first = removeSection(fromDefinition(sectioned), "s1");
    expect(first.sections.map((s) => s.children)).toEqual([["f2", "f1", "f3"]]);
  });

  it("a new section makes the layout explicit", () => {
    const { model, id } = addSection(fromDefinition(flat), { en: "Two" });
    expect(id).toBe("s2");
    expect(toDefinition(model).layout?.map((s) => s.id)).toEqual(["s1", "s2"]);
  });

  it("removing the subject field clears subjectField", () => {
    const out = toDefinition(removeField(fromDefinition(flat), "f1"));
    expect(out.subjectField).toBeUndefined();
    expect(out.fields.map((f) => f.id)).toEqual(["f2", "f3"]);
  });

  it("duplicates with fresh ids (children too) right after the original", () => {
    const group = { id: "g", key: "rows", type: "group", label: "R", fields: [{ id: "c1", key: "x", type: "text" }] };
    const model = insertField(fromDefinition(flat), group, "s1", 1);
    const result = duplicateField(model, "g");
    const out = toDefinition(result.model);
    expect(out.fields.map((f) => f.id)).toEqual(["f1", "g", result.id, "f2", "f3"]);
    const copy = out.fields[2];
    expect(copy.key).toBe("rows_2");
    expect(copy.fields?.[0].id).not.toBe("c1");
    expect(copy.fields?.[0].key).toBe("x");
  });

  it("slugs labels into data keys", () => {
    expect(slug("Order number")).toBe("order_number");
    expect(slug("  2nd Café! ")).toBe("nd_cafe");
    expect(slug("订单号")).toBe("");
  });
});

describe("problem pointers", () => {
  const definition = toDefinition(fromDefinition(sectioned));
  it("find fields, group children, sections and the form", () => {
    expect(problemTarget(definition, "/fields/0/label")).toEqual({ kind: "field", id: "f2", rest: "label" });
    expect(problemTarget(definition, "/layout/1/title")).toEqual({ kind: "section", id: "s2", rest: "title" });
    expect(problemTarget(definition, "/layout/0/children/1")).toEqual({ kind: "field", id: "f1", rest: "" });
    expect(problemTarget(definition, "/title")).toEqual({ kind: "form", rest: "title" });
    expect(problemTarget(definition, "/fields/9")).toEqual({ kind: "form", rest: "fields/9" });
  });
});

describe("history", () => {
  it("undoes and redoes, merging quick changes of one group", () => {
    const a = fromDefinition(flat);
    const b = moveField(a, "f1", "s1", 2);
    const c = moveField(b, "f2", "s1", 2);
    let state = initialHistory(a);
    state = historyReducer(state, { type: "change", model: b, group: "typing", now: 1000 });
    state = historyReducer(state, { type: "change", model: c, group: "typing", now: 1500 });
    expect(state.past).toHaveLength(1);
    state = historyReducer(state, { type: "undo" });
    expect(state.present).toBe(a);
    state = historyReducer(state, { type: "redo" });
    expect(state.present).toBe(c);
    state = historyReducer(state, { type: "change", model: b, group: "typing", now: 9000 });
    expect(state.past).toHaveLength(2);
    expect(state.future).toHaveLength(0);
  });
});
