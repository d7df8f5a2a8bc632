import { describe, expect, it } from "vitest";
import { conditionMatches } from "../../conditions";
import {
  conditionToRows,
  escapePattern,
  operatorsFor,
  rowsToCondition,
  unescapePattern,
  type Rows,
} from "./conditionRows";

interface Vector {
  name: string;
  fields: Record<string, string>;
  rows: Rows;
  condition: Record<string, unknown>;
  cases: { data: Record<string, unknown>; matches: boolean }[];
}

// Shared with tests/builder/test_condition_rows.py: the server checks the same fragments.
const found = import.meta.glob<Vector[]>("../../../../tests/vectors/condition_rows.json", {
  eager: true,
  import: "default",
});
const vectors: Vector[] = Object.values(found)[0] ?? [];

describe("condition row vectors", () => {
  it("are present", () => {
    expect(vectors.length).toBeGreaterThan(10);
  });
  for (const vector of vectors) {
    it(`${vector.name}: rows write the fragment`, () => {
      expect(rowsToCondition(vector.rows, vector.fields)).toEqual(vector.condition);
    });
    it(`${vector.name}: the fragment reads back as the rows`, () => {
      const rows = conditionToRows(vector.condition, vector.fields);
      const expected =
        vector.rows.rows.length === 1 ? { ...vector.rows, mode: "all" } : vector.rows;
      expect(rows).toEqual(expected);
    });
    it(`${vector.name}: matches in the browser as on the server`, () => {
      for (const sample of vector.cases) {
        expect(conditionMatches(vector.condition, sample.data), JSON.stringify(sample)).toBe(
          sample.matches,
        );
      }
    });
  }
});

describe("rows", () => {
  it("no rows is no condition, and no condition is no rows", () => {
    expect(rowsToCondition({ mode: "all", rows: [] })).toBeUndefined();
    expect(conditionToRows(undefined)).toEqual({ mode: "all", rows: [] });
  });

  it("skips incomplete rows", () => {
    const rows: Rows = {
      mode: "all",
      rows: [
        { field: "category", op: "equals", value: "" },
        { field: "", op: "not_empty" },
        { field: "amount", op: "gt", value: 5 },
      ],
    };
    expect(rowsToCondition(rows, { category: "select", amount: "number" })).toEqual({
      properties: { amount: { exclusiveMinimum: 5 } },
      required: ["amount"],
    });
  });

  it("hand-written conditions do not read as rows", () => {
    for (const condition of [
      { properties: { a: { const: 1 } } },
      { properties: { a: { const: 1, type: "number" } }, required: ["a"] },
      { properties: { a: { pattern: "^x+$" } }, required: ["a"] },
      { allOf: [{ required: ["a"] }] },
      { oneOf: [{ required: ["a"] }, { required: ["b"] }] },
      { allOf: [{ required: ["a"] }, { anyOf: [{ required: ["b"] }, { required: ["c"] }] }] },
      [],
      "x",
    ]) {
      expect(conditionToRows(condition), JSON.stringify(condition)).toBeNull();
    }
  });

  it("escapes and unescapes any text", () => {
    for (const text of ["a.b", "(x)|[y]{2}^$", "\\", "a/b-c", "中文?", ""]) {
      const pattern = escapePattern(text);
      expect(unescapePattern(pattern)).toBe(text);
      expect(new RegExp(pattern, "u").test(`--${text}--`)).toBe(true);
    }
  });

  it("offers operators that fit the field type", () => {
    expect(operatorsFor("multiselect")).not.toContain("equals");
    expect(operatorsFor("checkbox")).toEqual(["checked", "not_checked"]);
    expect(operatorsFor("number")).toContain("gt");
    expect(operatorsFor("text")).not.toContain("gt");
  });
});

describe("issue #4 contract (conditionModel.ts)", () => {
  it("round-trips every vector through toSchema / fromSchema", async () => {
    const { fromSchema, toSchema } = await import("./conditionModel");
    for (const vector of vectors) {
      const fields = Object.entries(vector.fields).map(([key, type]) => ({ key, type, label: key }));
      const model = {
        match: vector.rows.mode,
        rows: vector.rows.rows.map((row) => ({ field: row.field, operator: row.op, value: row.value })),
      };
      expect(toSchema(model, fields), vector.name).toEqual(vector.condition);
      const back = fromSchema(vector.condition, fields);
      expect(back?.rows, vector.name).toEqual(model.rows);
    }
    expect(fromSchema({ properties: { a: { const: 1 } } })).toBeNull();
  });
});
