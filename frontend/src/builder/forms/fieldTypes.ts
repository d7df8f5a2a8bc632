/**
 * The field types the palette offers (the server's registry, builder/fields/, decides what
 * is valid; this only says how each looks in the designer and what a new one starts with).
 */
import type { Field } from "./model";

export interface FieldType {
  type: string;
  /** Palette group. */
  group: "input" | "choice" | "other";
  /** A short glyph shown on the palette tile and the canvas. */
  icon: string;
  /** Whether the field carries a value (all but static). */
  valued: boolean;
  /** Whether it may sit inside a repeatable group. */
  inGroup: boolean;
  /** What a new field of this type starts with, besides id/key/type/label. */
  starter?: () => Partial<Field>;
}

const options = () => ({
  options: [
    { value: "option_1", label: { en: "Option 1", "zh-CN": "选项 1" } },
    { value: "option_2", label: { en: "Option 2", "zh-CN": "选项 2" } },
  ],
});

export const FIELD_TYPES: FieldType[] = [
  { type: "text", group: "input", icon: "T", valued: true, inGroup: true },
  { type: "textarea", group: "input", icon: "¶", valued: true, inGroup: true },
  { type: "number", group: "input", icon: "#", valued: true, inGroup: true },
  { type: "email", group: "input", icon: "@", valued: true, inGroup: true },
  { type: "phone", group: "input", icon: "☎", valued: true, inGroup: true },
  { type: "url", group: "input", icon: "↗", valued: true, inGroup: true },
  { type: "date", group: "input", icon: "▦", valued: true, inGroup: true },
  { type: "datetime", group: "input", icon: "◷", valued: true, inGroup: true },
  { type: "select", group: "choice", icon: "▾", valued: true, inGroup: true, starter: options },
  { type: "radio", group: "choice", icon: "◉", valued: true, inGroup: true, starter: options },
  { type: "multiselect", group: "choice", icon: "☰", valued: true, inGroup: true, starter: options },
  { type: "checkbox", group: "choice", icon: "☑", valued: true, inGroup: true },
  { type: "rating", group: "choice", icon: "★", valued: true, inGroup: true, starter: () => ({ max: 5 }) },
  { type: "user", group: "other", icon: "☺", valued: true, inGroup: true },
  { type: "file", group: "other", icon: "◫", valued: true, inGroup: false },
  {
    type: "static",
    group: "other",
    icon: "ℹ",
    valued: false,
    inGroup: true,
    starter: () => ({ text: { en: "Text shown on the form.", "zh-CN": "显示在表单上的说明文字。" } }),
  },
  {
    type: "group",
    group: "other",
    icon: "❐",
    valued: true,
    inGroup: false,
    starter: () => ({ fields: [] }),
  },
];

export const TYPES_BY_NAME: Record<string, FieldType> = Object.fromEntries(
  FIELD_TYPES.map((fieldType) => [fieldType.type, fieldType]),
);

/** Types with an option list. */
export const CHOICE_TYPES = new Set(["select", "radio", "multiselect"]);
/** Types with a placeholder. */
export const PLACEHOLDER_TYPES = new Set(["text", "textarea", "number", "email", "phone", "url"]);
