import { describe, expect, it } from "vitest";
import { MESSAGES } from "./messages";
import { FIELD_TYPES } from "./fieldTypes";
import { operatorsFor } from "../shared/conditionRows";

// Every text id the designer's sources name has an English and a Chinese text.
const sources = import.meta.glob<string>(["./*.tsx", "../shared/*.tsx", "../shared/*.ts", "./*.ts"], {
  eager: true,
  query: "?raw",
  import: "default",
});

describe("designer texts", () => {
  it("have both languages", () => {
    for (const [id, [en, zh]] of Object.entries(MESSAGES)) {
      expect(en, id).not.toBe("");
      expect(zh, id).not.toBe("");
    }
  });

  it("cover every t(\"…\") in the sources", () => {
    const missing: string[] = [];
    let seen = 0;
    for (const [file, text] of Object.entries(sources)) {
      if (file.endsWith(".test.ts")) continue;
      for (const match of text.matchAll(/\bt\("([a-zA-Z]+\.[a-zA-Z_.-]+)"/g)) {
        seen += 1;
        if (!(match[1] in MESSAGES)) missing.push(`${file}: ${match[1]}`);
      }
    }
    expect(seen, "no t(...) calls found: is the glob right?").toBeGreaterThan(100);
    expect(missing).toEqual([]);
  });

  it("name every field type, operator and role", () => {
    const ids = [
      ...FIELD_TYPES.map((type) => `type.${type.type}`),
      ...FIELD_TYPES.flatMap((type) => operatorsFor(type.type)).map((op) => `op.${op}`),
      ...["requester", "agent", "designer", "admin"].map((role) => `role.${role}`),
      ...["saved", "dirty", "saving", "error"].map((state) => `save.${state}`),
      ...["input", "choice", "other"].map((group) => `palette.${group}`),
      "insp.minDate",
      "insp.maxDate",
      "cond.all",
      "cond.any",
      "lang.en",
      "lang.zh-CN",
    ];
    expect(ids.filter((id) => !(id in MESSAGES))).toEqual([]);
  });
});
