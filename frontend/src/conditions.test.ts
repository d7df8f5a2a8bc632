import { describe, expect, it } from "vitest";
import { conditionMatches, requiredIds, visibleIds, visibleKeys, type FormDefinition } from "./conditions";

interface Vector {
  name: string;
  condition: Record<string, unknown>;
  data: Record<string, unknown>;
  matches: boolean;
}

// The vectors the Python side (builder/conditions.py) runs too: both must agree on each.
const found = import.meta.glob<Vector[]>("../../tests/vectors/conditions.json", {
  eager: true,
  import: "default",
});
const vectors: Vector[] = Object.values(found)[0] ?? [];

describe("shared condition vectors", () => {
  it("are present", () => {
    expect(vectors.length, "tests/vectors/conditions.json is missing or empty").toBeGreaterThan(0);
  });
  for (const vector of vectors) {
    it(vector.name, () => {
      expect(conditionMatches(vector.condition, vector.data)).toBe(vector.matches);
    });
  }
});

const refund = {
  properties: { category: { const: "refund" } },
  required: ["category"],
};

const definition: FormDefinition = {
  fields: [
    { id: "f1", key: "category", type: "select", required: true },
    { id: "f2", key: "order_id", type: "text", visibleWhen: refund, requiredWhenVisible: true },
    {
      id: "f3",
      key: "reason",
      type: "text",
      visibleWhen: { required: ["order_id"] },
      requiredWhen: { properties: { category: { const: "refund" } }, required: ["category"] },
    },
    { id: "f4", type: "static", visibleWhen: { not: { required: ["category"] } } },
  ],
};

describe("visibility", () => {
  it("shows unconditional fields and hides unmatched ones", () => {
    expect(visibleKeys(definition, {})).toEqual(new Set(["category"]));
    expect(visibleIds(definition, {})).toEqual(new Set(["f1", "f4"]));
  });

  it("shows a field once its condition matches", () => {
    expect(visibleKeys(definition, { category: "refund" })).toEqual(
      new Set(["category", "order_id"]),
    );
  });

  it("hides a field that depends on a field that was just hidden (fixed point)", () => {
    const data = { category: "question", order_id: "OD12345678", reason: "x" };
    expect(visibleKeys(definition, data)).toEqual(new Set(["category"]));
  });

  it("keeps a chain visible while every link matches", () => {
    const data = { category: "refund", order_id: "OD12345678" };
    expect(visibleKeys(definition, data)).toEqual(new Set(["category", "order_id", "reason"]));
  });

  it("requires visible requiredWhenVisible and matching requiredWhen fields only", () => {
    expect(requiredIds(definition, {})).toEqual(new Set(["f1"]));
    expect(requiredIds(definition, { category: "refund", order_id: "OD1" })).toEqual(
      new Set(["f1", "f2", "f3"]),
    );
  });
});
