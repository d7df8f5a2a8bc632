/**
 * What changed between two form definitions, for people: the version history's diff.
 *
 * `diffDefinitions(before, after)` compares fields by their stable `id` (so a renamed label
 * or key is a change, not a removal plus an addition) and sections by theirs, and returns a
 * flat list of changes in display order: form texts, sections added / removed / renamed /
 * reordered, fields added / removed / moved between sections / reordered, and per field its
 * texts (per language), options, required flags, validation rules, conditions and other
 * settings. Repeating-row groups are compared child by child. `describeChange` turns one
 * change into a sentence in the page language. Pure functions; no React, no fetch.
 */
import { conditionToRows, type Row } from "../shared/conditionRows";
import { localize, type Text, type Translate } from "../shared/i18n";
import type { Lang } from "../shared/api";
import { fromDefinition, type Field, type Model, type Option } from "./model";

/** Where a change is: the form, a section or a field (with the names to show). */
export type Target =
  | { kind: "form" }
  | { kind: "section"; id: string; name: Text | undefined }
  | { kind: "field"; id: string; name: Text | undefined; key?: string; parent?: Text };

export type Change =
  | { kind: "added" | "removed"; target: Target; section?: Text }
  | { kind: "moved"; target: Target; from?: Text; to?: Text }
  | { kind: "reordered"; target: Target }
  | { kind: "text"; target: Target; prop: string; lang: string; from: string; to: string }
  | { kind: "value"; target: Target; prop: string; from: unknown; to: unknown }
  | { kind: "rule"; target: Target; rule: string; from: unknown; to: unknown }
  | { kind: "condition"; target: Target; prop: string; from: unknown; to: unknown }
  | { kind: "optionAdded" | "optionRemoved"; target: Target; value: string; label: Text | undefined }
  | { kind: "optionText"; target: Target; value: string; lang: string; from: string; to: string }
  | { kind: "optionsReordered"; target: Target };

/** Translatable texts of a field, section or form, compared language by language. */
const TEXT_PROPS = ["label", "help", "placeholder", "text", "unit", "addLabel", "title", "description"];
const CONDITION_PROPS = ["visibleWhen", "requiredWhen"];
/** Compared on their own (or not at all: position is layout, fields are children). */
const OWN_PROPS = new Set([...TEXT_PROPS, ...CONDITION_PROPS, "id", "options", "validate", "fields", "children", "type_"]);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return stable(a) === stable(b);
}

/** JSON with sorted keys, so key order never counts as a change. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stable(value[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** A TEXT as {lang: string}; a plain string is English. */
function texts(text: unknown): Record<string, string> {
  if (typeof text === "string") return text ? { en: text } : {};
  if (!isObject(text)) return {};
  return Object.fromEntries(Object.entries(text).filter((entry): entry is [string, string] => typeof entry[1] === "string" && entry[1] !== ""));
}

function textChanges(target: Target, prop: string, before: unknown, after: unknown): Change[] {
  const a = texts(before);
  const b = texts(after);
  const langs = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort((x, y) => langRank(x) - langRank(y));
  return langs
    .filter((lang) => (a[lang] ?? "") !== (b[lang] ?? ""))
    .map((lang) => ({ kind: "text", target, prop, lang, from: a[lang] ?? "", to: b[lang] ?? "" }));
}

function langRank(lang: string): number {
  return lang === "en" ? 0 : lang === "zh-CN" ? 1 : 2;
}

function fieldTarget(field: Field, parent?: Field): Target {
  return { kind: "field", id: field.id, name: field.label ?? field.key ?? field.id, key: field.key, parent: parent?.label ?? parent?.key };
}

function optionChanges(target: Target, before: Option[] | undefined, after: Option[] | undefined): Change[] {
  const a = Array.isArray(before) ? before.filter(isObject) : [];
  const b = Array.isArray(after) ? after.filter(isObject) : [];
  const changes: Change[] = [];
  const byValue = new Map(a.map((option) => [String(option.value), option]));
  const afterValues = new Set(b.map((option) => String(option.value)));
  for (const option of a) {
    if (!afterValues.has(String(option.value))) {
      changes.push({ kind: "optionRemoved", target, value: String(option.value), label: option.label });
    }
  }
  for (const option of b) {
    const old = byValue.get(String(option.value));
    if (!old) {
      changes.push({ kind: "optionAdded", target, value: String(option.value), label: option.label });
      continue;
    }
    for (const change of textChanges(target, "option", old.label, option.label)) {
      if (change.kind === "text") {
        changes.push({ kind: "optionText", target, value: String(option.value), lang: change.lang, from: change.from, to: change.to });
      }
    }
  }
  const kept = a.map((option) => String(option.value)).filter((value) => afterValues.has(value));
  const keptAfter = b.map((option) => String(option.value)).filter((value) => byValue.has(value));
  if (!same(kept, keptAfter)) changes.push({ kind: "optionsReordered", target });
  return changes;
}

function fieldChanges(before: Field, after: Field, parent?: Field): Change[] {
  const target = fieldTarget(after, parent);
  const changes: Change[] = [];
  if (before.type !== after.type) changes.push({ kind: "value", target, prop: "type", from: before.type, to: after.type });
  for (const prop of TEXT_PROPS) changes.push(...textChanges(target, prop, before[prop], after[prop]));
  const props = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((prop) => !OWN_PROPS.has(prop) && prop !== "type");
  for (const prop of props.sort()) {
    if (!same(before[prop], after[prop])) changes.push({ kind: "value", target, prop, from: before[prop], to: after[prop] });
  }
  changes.push(...optionChanges(target, before.options, after.options));
  const rulesBefore = isObject(before.validate) ? before.validate : {};
  const rulesAfter = isObject(after.validate) ? after.validate : {};
  for (const rule of [...new Set([...Object.keys(rulesBefore), ...Object.keys(rulesAfter)])].sort()) {
    if (rule === "patternMessage") {
      changes.push(...textChanges(target, "patternMessage", rulesBefore[rule], rulesAfter[rule]));
    } else if (!same(rulesBefore[rule], rulesAfter[rule])) {
      changes.push({ kind: "rule", target, rule, from: rulesBefore[rule], to: rulesAfter[rule] });
    }
  }
  for (const prop of CONDITION_PROPS) {
    if (!same(before[prop], after[prop])) changes.push({ kind: "condition", target, prop, from: before[prop], to: after[prop] });
  }
  if (before.type === "group" || after.type === "group") changes.push(...childChanges(before, after));
  return changes;
}

function childChanges(before: Field, after: Field): Change[] {
  const a = (Array.isArray(before.fields) ? before.fields : []).filter(isObject) as Field[];
  const b = (Array.isArray(after.fields) ? after.fields : []).filter(isObject) as Field[];
  const old = new Map(a.map((child) => [child.id, child]));
  const now = new Set(b.map((child) => child.id));
  const changes: Change[] = a
    .filter((child) => !now.has(child.id))
    .map((child) => ({ kind: "removed", target: fieldTarget(child, after) }));
  for (const child of b) {
    const was = old.get(child.id);
    changes.push(...(was ? fieldChanges(was, child, after) : [{ kind: "added", target: fieldTarget(child, after) } as Change]));
  }
  const kept = a.map((c) => c.id).filter((id) => now.has(id));
  const keptAfter = b.map((c) => c.id).filter((id) => old.has(id));
  if (!same(kept, keptAfter)) changes.push({ kind: "reordered", target: fieldTarget(after) });
  return changes;
}

function sectionOf(model: Model): Map<string, string> {
  const where = new Map<string, string>();
  for (const section of model.sections) for (const id of section.children) where.set(id, section.id);
  return where;
}

/** Every change from `before` to `after` (definitions as stored; drafts may be incomplete). */
export function diffDefinitions(before: unknown, after: unknown): Change[] {
  const a = fromDefinition(before);
  const b = fromDefinition(after);
  const form: Target = { kind: "form" };
  const changes: Change[] = [];
  for (const prop of ["title", "description"]) changes.push(...textChanges(form, prop, a.head[prop], b.head[prop]));
  for (const prop of [...new Set([...Object.keys(a.head), ...Object.keys(b.head)])].sort()) {
    if (["title", "description", "formatVersion", "key"].includes(prop)) continue;
    if (!same(a.head[prop], b.head[prop])) changes.push({ kind: "value", target: form, prop, from: a.head[prop], to: b.head[prop] });
  }

  // Sections (the layout).
  const oldSections = new Map(a.sections.map((s) => [s.id, s]));
  const newSections = new Map(b.sections.map((s) => [s.id, s]));
  const sectionTarget = (id: string, title: Text | undefined): Target => ({ kind: "section", id, name: title });
  for (const section of a.sections) {
    if (!newSections.has(section.id)) changes.push({ kind: "removed", target: sectionTarget(section.id, section.title) });
  }
  for (const section of b.sections) {
    const old = oldSections.get(section.id);
    const target = sectionTarget(section.id, section.title ?? old?.title);
    if (!old) {
      changes.push({ kind: "added", target });
      continue;
    }
    changes.push(...textChanges(target, "title", old.title, section.title));
    changes.push(...textChanges(target, "description", old.description, section.description));
  }
  const keptSections = a.sections.map((s) => s.id).filter((id) => newSections.has(id));
  const keptSectionsAfter = b.sections.map((s) => s.id).filter((id) => oldSections.has(id));
  if (!same(keptSections, keptSectionsAfter)) changes.push({ kind: "reordered", target: form });

  // Fields, in the new display order, then the removed ones.
  const whereBefore = sectionOf(a);
  const whereAfter = sectionOf(b);
  const titleOf = (model: Model, id: string | undefined) => model.sections.find((s) => s.id === id)?.title;
  for (const section of b.sections) {
    for (const id of section.children) {
      const field = b.fields[id];
      const old = a.fields[id];
      if (!old) {
        changes.push({ kind: "added", target: fieldTarget(field), section: section.title });
        continue;
      }
      if (whereBefore.get(id) !== section.id) {
        changes.push({ kind: "moved", target: fieldTarget(field), from: titleOf(a, whereBefore.get(id)), to: section.title });
      }
      changes.push(...fieldChanges(old, field));
    }
    const old = oldSections.get(section.id);
    if (old) {
      const stayed = (ids: string[]) => ids.filter((id) => whereBefore.get(id) === section.id && whereAfter.get(id) === section.id);
      if (!same(stayed(old.children), stayed(section.children))) {
        changes.push({ kind: "reordered", target: sectionTarget(section.id, section.title) });
      }
    }
  }
  for (const section of a.sections) {
    for (const id of section.children) {
      if (!b.fields[id]) changes.push({ kind: "removed", target: fieldTarget(a.fields[id]), section: section.title });
    }
  }
  return changes;
}

/** Names of fields by key, for reading conditions ("Category equals Refund"). */
export type FieldNames = Record<string, { label: Text | undefined; type: string; options?: Option[] }>;

/** The fields of a definition by key (both versions merged, the newer one winning). */
export function fieldNames(...definitions: unknown[]): FieldNames {
  const names: FieldNames = {};
  for (const definition of definitions) {
    for (const field of Object.values(fromDefinition(definition).fields)) {
      if (field.key) names[field.key] = { label: field.label, type: field.type, options: field.options };
    }
  }
  return names;
}

function quote(text: string): string {
  return `“${text}”`;
}

/** A value for people: yes/no, lists joined, "(none)". */
export function showValue(value: unknown, t: Translate): string {
  if (value === undefined || value === null || value === "") return t("diff.none");
  if (value === true) return t("cond.yes");
  if (value === false) return t("cond.no");
  if (Array.isArray(value) && value.every((item) => typeof item !== "object")) return value.join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A condition as rows in words, or its JSON when rows cannot express it. */
export function showCondition(condition: unknown, names: FieldNames, t: Translate, lang: Lang): string {
  if (condition === undefined || condition === null) return t("cond.none");
  const types = Object.fromEntries(Object.entries(names).map(([key, name]) => [key, name.type]));
  const rows = conditionToRows(condition, types);
  if (!rows) return JSON.stringify(condition);
  const row = (r: Row): string => {
    const field = names[r.field];
    const optionLabel = (value: unknown) =>
      localize(field?.options?.find((option) => String(option.value) === String(value))?.label, lang) || String(value);
    const value =
      r.value === undefined || r.value === null
        ? ""
        : Array.isArray(r.value)
          ? ` ${r.value.map(optionLabel).join(", ")}`
          : ` ${optionLabel(r.value)}`;
    return `${localize(field?.label, lang) || r.field} ${t(`op.${r.op}`)}${value}`;
  };
  return rows.rows.map(row).join(rows.mode === "all" ? t("diff.and") : t("diff.or"));
}

function targetName(target: Target, t: Translate, lang: Lang): string {
  if (target.kind === "form") return t("diff.theForm");
  const name = quote(localize(target.name, lang) || (target.kind === "field" ? target.key || target.id : t("diff.untitled")));
  if (target.kind === "section") return t("diff.section", { name });
  return target.parent ? t("diff.childField", { name, parent: quote(localize(target.parent, lang)) }) : t("diff.field", { name });
}

function sectionName(title: Text | undefined, t: Translate, lang: Lang): string {
  return quote(localize(title, lang) || t("diff.untitled"));
}

/** One change as a sentence in `lang`. */
export function describeChange(change: Change, t: Translate, lang: Lang, names: FieldNames = {}): string {
  const what = targetName(change.target, t, lang);
  const langName = (code: string) => t(`lang.${code}`) === `lang.${code}` ? code : t(`lang.${code}`);
  switch (change.kind) {
    case "added":
      return change.section !== undefined
        ? t("diff.addedIn", { what, section: sectionName(change.section, t, lang) })
        : t("diff.added", { what });
    case "removed":
      return change.section !== undefined
        ? t("diff.removedFrom", { what, section: sectionName(change.section, t, lang) })
        : t("diff.removed", { what });
    case "moved":
      return t("diff.moved", { what, from: sectionName(change.from, t, lang), to: sectionName(change.to, t, lang) });
    case "reordered":
      return change.target.kind === "form" ? t("diff.sectionsReordered") : t("diff.reordered", { what });
    case "text":
      return t("diff.text", { what, prop: propName(change.prop, t), lang: langName(change.lang), from: change.from ? quote(change.from) : t("diff.none"), to: change.to ? quote(change.to) : t("diff.none") });
    case "value":
      return t("diff.value", { what, prop: propName(change.prop, t), from: showProp(change.prop, change.from, t, lang, names), to: showProp(change.prop, change.to, t, lang, names) });
    case "rule":
      return t("diff.rule", { what, rule: propName(`rule.${change.rule}`, t, change.rule), from: showValue(change.from, t), to: showValue(change.to, t) });
    case "condition":
      return t("diff.condition", { what, prop: propName(change.prop, t), from: showCondition(change.from, names, t, lang), to: showCondition(change.to, names, t, lang) });
    case "optionAdded":
      return t("diff.optionAdded", { what, option: quote(localize(change.label, lang) || change.value) });
    case "optionRemoved":
      return t("diff.optionRemoved", { what, option: quote(localize(change.label, lang) || change.value) });
    case "optionText":
      return t("diff.optionText", { what, option: change.value, lang: langName(change.lang), from: change.from ? quote(change.from) : t("diff.none"), to: change.to ? quote(change.to) : t("diff.none") });
    case "optionsReordered":
      return t("diff.optionsReordered", { what });
  }
}

function propName(prop: string, t: Translate, fallback = prop): string {
  const id = prop.startsWith("rule.") ? `diff.${prop}` : `diff.prop.${prop}`;
  const text = t(id);
  return text === id ? fallback : text;
}

function showProp(prop: string, value: unknown, t: Translate, lang: Lang, names: FieldNames): string {
  if (prop === "type" && typeof value === "string") return t(`type.${value}`);
  if (prop === "subjectField" && typeof value === "string") return localize(names[value]?.label, lang) || value;
  return showValue(value, t);
}
