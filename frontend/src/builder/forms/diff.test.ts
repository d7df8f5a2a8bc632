import { describe, expect, it } from "vitest";
import { translator } from "../shared/i18n";
import { describeChange, diffDefinitions, fieldNames, type Change } from "./diff";
import { MESSAGES } from "./messages";

const en = translator(MESSAGES, "en");
const zh = translator(MESSAGES, "zh-CN");

const REFUND = { properties: { category: { const: "refund" } }, required: ["category"] };

function base() {
  return {
    formatVersion: 1,
    key: "refund",
    title: { en: "Refund", "zh-CN": "退款" },
    fields: [
      {
        id: "f1", key: "category", type: "select", required: true, label: { en: "Category", "zh-CN": "类别" },
        options: [
          { value: "refund", label: { en: "Refund", "zh-CN": "退款" } },
          { value: "question", label: { en: "Question", "zh-CN": "咨询" } },
        ],
      },
      { id: "f2", key: "order_id", type: "text", label: { en: "Order number" }, validate: { pattern: "^OD[0-9]{8}$" }, visibleWhen: REFUND },
      { id: "f3", key: "email", type: "email", label: { en: "Email", "zh-CN": "邮箱" } },
    ],
    layout: [
      { type: "section", id: "s1", title: { en: "Request", "zh-CN": "请求" }, children: ["f1", "f2"] },
      { type: "section", id: "s2", title: { en: "Contact", "zh-CN": "联系方式" }, children: ["f3"] },
    ],
  };
}

function texts(before: unknown, after: unknown, t = en, lang: "en" | "zh-CN" = "en"): string[] {
  const names = fieldNames(before, after);
  return diffDefinitions(before, after).map((change) => describeChange(change, t, lang, names));
}

describe("diffDefinitions", () => {
  it("finds nothing between equal definitions, whatever the key order", () => {
    const a = base();
    const b = JSON.parse(JSON.stringify(a, Object.keys(a).reverse()));
    expect(diffDefinitions(a, base())).toEqual([]);
    expect(diffDefinitions(a, { ...b, ...a })).toEqual([]);
  });

  it("tells added and removed fields with their section", () => {
    const after = base();
    after.fields.push({ id: "f4", key: "phone", type: "phone", label: { en: "Phone" } } as never);
    after.layout[1].children.push("f4");
    after.fields = after.fields.filter((field) => field.id !== "f3");
    after.layout[1].children = after.layout[1].children.filter((id) => id !== "f3");
    expect(texts(base(), after)).toEqual([
      "Field “Phone” added to section “Contact”",
      "Field “Email” removed from section “Contact”",
    ]);
  });

  it("tells a move between sections, not a removal plus an addition", () => {
    const after = base();
    after.layout[0].children = ["f1"];
    after.layout[1].children = ["f2", "f3"];
    const changes = diffDefinitions(base(), after);
    expect(changes.map((c) => c.kind)).toEqual(["moved"]);
    expect(texts(base(), after)).toEqual(["Field “Order number” moved from section “Request” to section “Contact”"]);
  });

  it("tells a reorder inside a section and of the sections", () => {
    const after = base();
    after.layout[0].children = ["f2", "f1"];
    after.layout.reverse();
    expect(texts(base(), after)).toEqual(["Sections reordered", "Section “Request”: fields reordered"]);
  });

  it("tells text changes per language, old and new", () => {
    const after = base();
    after.fields[0].label = { en: "Kind", "zh-CN": "类别" };
    after.fields[2].label = { en: "Email", "zh-CN": "电子邮箱" };
    after.title = { en: "Refund", "zh-CN": "退款申请" };
    expect(texts(base(), after)).toEqual([
      "Form: title (Chinese) “退款” → “退款申请”",
      "Field “Kind”: label (English) “Category” → “Kind”",
      "Field “Email”: label (Chinese) “邮箱” → “电子邮箱”",
    ]);
  });

  it("tells option, required, validation and key changes", () => {
    const after = base();
    after.fields[0].options = [
      { value: "question", label: { en: "Question", "zh-CN": "咨询" } },
      { value: "refund", label: { en: "Money back", "zh-CN": "退款" } },
      { value: "exchange", label: { en: "Exchange", "zh-CN": "换货" } },
    ];
    after.fields[0].required = false;
    after.fields[1].validate = { pattern: "^OD[0-9]{10}$" };
    after.fields[2].key = "contact_email";
    expect(texts(base(), after)).toEqual([
      "Field “Category”: required Yes → No",
      "Field “Category”: label of option refund (English) “Refund” → “Money back”",
      "Field “Category”: option “Exchange” added",
      "Field “Category”: options reordered",
      "Field “Order number”: validation “format” ^OD[0-9]{8}$ → ^OD[0-9]{10}$",
      "Field “Email”: data key email → contact_email",
    ]);
  });

  it("reads conditions as rows in words", () => {
    const after = base();
    (after.fields[1] as { visibleWhen?: unknown }).visibleWhen = { properties: { category: { enum: ["refund", "question"] } }, required: ["category"] };
    expect(texts(base(), after)).toEqual([
      "Field “Order number”: shown when “Category equals Refund” → “Category is one of Refund, Question”",
    ]);
    const removed = base();
    delete (removed.fields[1] as { visibleWhen?: unknown }).visibleWhen;
    expect(texts(base(), removed)).toEqual(["Field “Order number”: shown when “Category equals Refund” → “Always”"]);
  });

  it("compares repeating-row children", () => {
    const group = (label: string, extra: object[] = []) => ({
      formatVersion: 1,
      fields: [{ id: "g", key: "items", type: "group", label: { en: "Items" }, fields: [{ id: "c1", key: "name", type: "text", label: { en: label } }, ...extra] }],
    });
    expect(texts(group("Name"), group("Item name", [{ id: "c2", key: "qty", type: "number", label: { en: "Qty" } }]))).toEqual([
      "Field “Item name” in “Items”: label (English) “Name” → “Item name”",
      "Field “Qty” in “Items” added",
    ]);
  });

  it("tells sections added, removed and renamed", () => {
    const after = base();
    after.layout[1].title = { en: "Reach you", "zh-CN": "联系方式" };
    after.layout.push({ type: "section", id: "s3", title: { en: "Extra", "zh-CN": "其他" }, children: [] });
    expect(texts(base(), after)).toEqual(["Section “Reach you”: title (English) “Contact” → “Reach you”", "Section “Extra” added"]);
    const gone = base();
    gone.layout = [{ ...gone.layout[0], children: ["f1", "f2", "f3"] }];
    expect(texts(base(), gone)).toEqual([
      "Section “Contact” removed",
      "Field “Email” moved from section “Contact” to section “Request”",
    ]);
  });

  it("speaks Chinese", () => {
    const after = base();
    after.fields[0].label = { en: "Category", "zh-CN": "分类" };
    after.fields.push({ id: "f4", key: "phone", type: "phone", label: { en: "Phone", "zh-CN": "电话" } } as never);
    after.layout[1].children.push("f4");
    expect(texts(base(), after, zh, "zh-CN")).toEqual([
      "字段“分类”：标签（中文）“类别” → “分类”",
      "在分区“联系方式”中新增字段“电话”",
    ]);
  });

  it("survives incomplete drafts", () => {
    const changes: Change[] = diffDefinitions({}, { fields: [null, { type: 3 }], layout: "x" });
    expect(changes.map((c) => c.kind)).toEqual(["added"]);
    expect(() => changes.map((c) => describeChange(c, en, "en"))).not.toThrow();
  });
});
