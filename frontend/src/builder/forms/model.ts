/**
 * The form designer's model: pure functions over the definition (docs/form-format.md).
 *
 * The designer always works with sections: a definition without `layout` opens as one
 * untitled section holding every field, and is written back without `layout` while it
 * still has just that one untitled section, so forms that never used sections keep their
 * shape. `fields` is written in display order. Everything the designer does not know
 * about (extra keys on fields, sections or the form) passes through unchanged.
 */
import { localize, type Text } from "../shared/i18n";
import type { Lang } from "../shared/api";
import { TYPES_BY_NAME } from "./fieldTypes";

export interface Option {
  value: string;
  label?: Text;
  [other: string]: unknown;
}

export interface Field {
  id: string;
  key?: string;
  type: string;
  label?: Text;
  help?: Text;
  placeholder?: Text;
  required?: boolean;
  visibleWhen?: Record<string, unknown>;
  requiredWhenVisible?: boolean;
  requiredWhen?: Record<string, unknown>;
  default?: unknown;
  validate?: Record<string, unknown>;
  options?: Option[];
  fields?: Field[];
  [other: string]: unknown;
}

export interface Section {
  type: "section";
  id: string;
  title?: Text;
  description?: Text;
  children: string[];
  [other: string]: unknown;
}

export interface Definition {
  formatVersion: number;
  key?: string;
  title?: Text;
  description?: Text;
  subjectField?: string;
  fields: Field[];
  layout?: Section[];
  [other: string]: unknown;
}

/** Everything in a definition but its fields and layout. */
export interface Head {
  formatVersion: number;
  key?: string;
  title?: Text;
  description?: Text;
  subjectField?: string;
  [other: string]: unknown;
}

/** The designer's working copy: fields by id and the sections that order them. */
export interface Model {
  /** The definition minus fields and layout (title, description, subjectField, extras). */
  head: Head;
  fields: Record<string, Field>;
  sections: Section[];
  /** Whether the definition had a layout (kept when there is still only one plain section). */
  hadLayout: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A model from whatever the server holds as the draft (drafts may be incomplete). */
export function fromDefinition(raw: unknown): Model {
  const source = isObject(raw) ? raw : {};
  const { fields: rawFields, layout: rawLayout, ...head } = source;
  const fields: Record<string, Field> = {};
  const order: string[] = [];
  for (const item of Array.isArray(rawFields) ? rawFields : []) {
    if (!isObject(item)) continue;
    const field = { ...item } as Field;
    if (typeof field.id !== "string" || field.id === "" || fields[field.id]) {
      field.id = freshId(new Set([...Object.keys(fields), ...order]), "f");
    }
    if (typeof field.type !== "string") field.type = "text";
    fields[field.id] = field;
    order.push(field.id);
  }
  const sections: Section[] = [];
  const placed = new Set<string>();
  for (const item of Array.isArray(rawLayout) ? rawLayout : []) {
    if (!isObject(item)) continue;
    const children = (Array.isArray(item.children) ? item.children : []).filter(
      (child): child is string => typeof child === "string" && child in fields && !placed.has(child),
    );
    children.forEach((child) => placed.add(child));
    const ids = new Set([...Object.keys(fields), ...sections.map((s) => s.id)]);
    sections.push({
      ...item,
      type: "section",
      id: typeof item.id === "string" && item.id && !ids.has(item.id) ? item.id : freshId(ids, "s"),
      children,
    });
  }
  const hadLayout = sections.length > 0;
  if (sections.length === 0) sections.push({ type: "section", id: "s1", children: [] });
  // Fields the layout forgot go to the last section rather than vanishing.
  sections[sections.length - 1].children.push(...order.filter((id) => !placed.has(id)));
  return {
    head: { ...head, formatVersion: typeof head.formatVersion === "number" ? head.formatVersion : 1 } as Head,
    fields,
    sections,
    hadLayout,
  };
}

function plainSection(section: Section): boolean {
  return (
    Object.keys(section).every((key) => ["type", "id", "children"].includes(key)) ||
    (!section.title && !section.description)
  );
}

/** The definition to save. */
export function toDefinition(model: Model): Definition {
  const fields = model.sections.flatMap((section) =>
    section.children.map((id) => model.fields[id]).filter(Boolean),
  );
  const definition: Definition = { ...model.head, formatVersion: model.head.formatVersion, fields };
  const keepLayout =
    model.sections.length > 1 || !plainSection(model.sections[0]) || model.hadLayout;
  // An empty `layout` list is a layout that places nothing: leave the key out instead.
  if (keepLayout) definition.layout = model.sections.map((section) => ({ ...section }));
  return definition;
}

/** An id not in `taken`: prefix + the smallest free number. */
export function freshId(taken: Set<string>, prefix: string): string {
  for (let n = 1; ; n += 1) {
    if (!taken.has(`${prefix}${n}`)) return `${prefix}${n}`;
  }
}

/** Every id in use: fields, group children and sections (ids are unique across all). */
export function allIds(model: Model): Set<string> {
  const ids = new Set<string>(model.sections.map((section) => section.id));
  for (const field of Object.values(model.fields)) {
    ids.add(field.id);
    for (const child of field.fields ?? []) ids.add(child.id);
  }
  return ids;
}

/** Every top-level data key in use. */
export function allKeys(model: Model): Set<string> {
  return new Set(
    Object.values(model.fields)
      .map((field) => field.key)
      .filter((key): key is string => typeof key === "string"),
  );
}

/** A data key made from a label: lower-case ASCII letters, digits and "_", starting with a letter. */
export function slug(text: string): string {
  const base = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^[^a-z]+/, "")
    .replace(/_+$/, "")
    .slice(0, 48);
  return base;
}

/** `base` made unique among `taken` with _2, _3 ... */
export function uniqueKey(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    if (!taken.has(`${base}_${n}`)) return `${base}_${n}`;
  }
}

/** A new field of `type` with fresh id and key and the type's starter settings. */
export function newField(
  model: Model,
  type: string,
  label: Record<string, string>,
  takenIds: Set<string> = allIds(model),
  takenKeys: Set<string> = allKeys(model),
): Field {
  const fieldType = TYPES_BY_NAME[type];
  const id = freshId(takenIds, "f");
  const field: Field = { id, type, ...(fieldType?.starter?.() ?? {}) };
  if (fieldType?.valued !== false) {
    field.key = uniqueKey(slug(label.en ?? "") || type, takenKeys);
    field.label = label;
  }
  return field;
}

/** Where a field sits: its section's index and its index there. */
export function locate(model: Model, id: string): { section: number; index: number } | null {
  for (let section = 0; section < model.sections.length; section += 1) {
    const index = model.sections[section].children.indexOf(id);
    if (index >= 0) return { section, index };
  }
  return null;
}

/** The model with `field` inserted in section `sectionId` at `index` (end when omitted). */
export function insertField(model: Model, field: Field, sectionId: string, index?: number): Model {
  const sections = model.sections.map((section) => {
    if (section.id !== sectionId) return section;
    const children = [...section.children];
    children.splice(index ?? children.length, 0, field.id);
    return { ...section, children };
  });
  return { ...model, fields: { ...model.fields, [field.id]: field }, sections };
}

/** The model with field `id` moved to section `sectionId` at `index` (after removal). */
export function moveField(model: Model, id: string, sectionId: string, index: number): Model {
  const without = model.sections.map((section) => ({
    ...section,
    children: section.children.filter((child) => child !== id),
  }));
  return {
    ...model,
    sections: without.map((section) => {
      if (section.id !== sectionId) return section;
      const children = [...section.children];
      children.splice(Math.max(0, Math.min(index, children.length)), 0, id);
      return { ...section, children };
    }),
  };
}

/** Move a field one place up or down, crossing into the neighbouring section at the ends. */
export function stepField(model: Model, id: string, step: -1 | 1): Model {
  const at = locate(model, id);
  if (!at) return model;
  const section = model.sections[at.section];
  const target = at.index + step;
  if (target >= 0 && target < section.children.length) {
    return moveField(model, id, section.id, target);
  }
  const neighbour = model.sections[at.section + step];
  if (!neighbour) return model;
  return moveField(model, id, neighbour.id, step === 1 ? 0 : neighbour.children.length);
}

/** The model with field `id` changed by `patch` (undefined values remove keys). */
export function updateField(model: Model, id: string, patch: Partial<Field>): Model {
  const field = model.fields[id];
  if (!field) return model;
  const next: Field = { ...field };
  for (const [name, value] of Object.entries(patch)) {
    if (value === undefined) delete next[name];
    else next[name] = value;
  }
  return { ...model, fields: { ...model.fields, [id]: next } };
}

/** The model without field `id` (and not the subject any more). */
export function removeField(model: Model, id: string): Model {
  const field = model.fields[id];
  const fields = { ...model.fields };
  delete fields[id];
  const head = { ...model.head };
  if (field?.key && head.subjectField === field.key) delete head.subjectField;
  return {
    ...model,
    head,
    fields,
    sections: model.sections.map((section) => ({
      ...section,
      children: section.children.filter((child) => child !== id),
    })),
  };
}

/** A copy of field `id` right after it, with fresh id, key and child ids. */
export function duplicateField(model: Model, id: string): { model: Model; id: string } {
  const field = model.fields[id];
  const at = locate(model, id);
  if (!field || !at) return { model, id };
  const ids = allIds(model);
  const copy: Field = structuredClone(field);
  copy.id = freshId(ids, "f");
  ids.add(copy.id);
  if (copy.key) copy.key = uniqueKey(copy.key.replace(/_\d+$/, ""), allKeys(model));
  copy.fields = copy.fields?.map((child) => {
    const childId = freshId(ids, "f");
    ids.add(childId);
    return { ...child, id: childId };
  });
  if (copy.fields === undefined) delete copy.fields;
  return {
    model: insertField(model, copy, model.sections[at.section].id, at.index + 1),
    id: copy.id,
  };
}

/** The model with a new empty section after section `afterId` (at the end when omitted). */
export function addSection(model: Model, title: Record<string, string>, afterId?: string): {
  model: Model;
  id: string;
} {
  const id = freshId(allIds(model), "s");
  const section: Section = { type: "section", id, title, children: [] };
  const at = afterId ? model.sections.findIndex((s) => s.id === afterId) + 1 : model.sections.length;
  const sections = [...model.sections];
  sections.splice(at <= 0 ? sections.length : at, 0, section);
  return { model: { ...model, sections, hadLayout: true }, id };
}

/** The model without section `id`; its fields join the section before (or after) it. */
export function removeSection(model: Model, id: string): Model {
  if (model.sections.length < 2) return model;
  const index = model.sections.findIndex((section) => section.id === id);
  if (index < 0) return model;
  const gone = model.sections[index];
  const heir = index > 0 ? index - 1 : 1;
  const sections = model.sections.map((section, at) =>
    at === heir
      ? {
          ...section,
          children: heir < index ? [...section.children, ...gone.children] : [...gone.children, ...section.children],
        }
      : section,
  );
  return { ...model, sections: sections.filter((_, at) => at !== index) };
}

/** Move section `id` one place up or down. */
export function stepSection(model: Model, id: string, step: -1 | 1): Model {
  const index = model.sections.findIndex((section) => section.id === id);
  const target = index + step;
  if (index < 0 || target < 0 || target >= model.sections.length) return model;
  const sections = [...model.sections];
  [sections[index], sections[target]] = [sections[target], sections[index]];
  return { ...model, sections };
}

/** The model with section `id` changed by `patch`. */
export function updateSection(model: Model, id: string, patch: Partial<Section>): Model {
  return {
    ...model,
    sections: model.sections.map((section) => {
      if (section.id !== id) return section;
      const next: Section = { ...section };
      for (const [name, value] of Object.entries(patch)) {
        if (value === undefined || (typeof value === "object" && value !== null && Object.keys(value).length === 0)) {
          delete next[name];
        } else {
          next[name] = value;
        }
      }
      return next;
    }),
  };
}

/** Fields in display order. */
export function orderedFields(model: Model): Field[] {
  return model.sections.flatMap((section) =>
    section.children.map((id) => model.fields[id]).filter(Boolean),
  );
}

/** Top-level valued fields other than `exceptId`, for conditions (label in `lang`). */
export function conditionFields(model: Model, lang: Lang, exceptId?: string) {
  return orderedFields(model)
    .filter((field) => field.id !== exceptId && field.key && TYPES_BY_NAME[field.type]?.valued !== false)
    .map((field) => ({
      key: field.key as string,
      type: field.type,
      label: localize(field.label, lang) || (field.key as string),
      options: (field.options ?? []).map((option) => ({
        value: option.value,
        label: localize(option.label, lang) || option.value,
      })),
    }));
}

/** Where a problem pointer (against toDefinition's output) points in the designer. */
export type ProblemTarget =
  | { kind: "field"; id: string; child?: string; rest: string }
  | { kind: "section"; id: string; rest: string }
  | { kind: "form"; rest: string };

/** Resolve a JSON pointer from the server against the definition that was checked. */
export function problemTarget(definition: Definition, pointer: string): ProblemTarget {
  const parts = pointer.split("/").slice(1).map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (parts[0] === "fields" && parts.length > 1) {
    const field = definition.fields[Number(parts[1])];
    if (field && typeof field.id === "string") {
      if (parts[2] === "fields" && parts.length > 3) {
        const child = field.fields?.[Number(parts[3])];
        return { kind: "field", id: field.id, child: child?.id, rest: parts.slice(4).join("/") };
      }
      return { kind: "field", id: field.id, rest: parts.slice(2).join("/") };
    }
  }
  if (parts[0] === "layout" && parts.length > 1) {
    const section = definition.layout?.[Number(parts[1])];
    if (section) {
      if (parts[2] === "children" && parts.length > 3) {
        const id = section.children?.[Number(parts[3])];
        if (typeof id === "string" && definition.fields.some((f) => f.id === id)) {
          return { kind: "field", id, rest: "" };
        }
      }
      return { kind: "section", id: section.id, rest: parts.slice(2).join("/") };
    }
  }
  return { kind: "form", rest: parts.join("/") };
}

/** Fields whose conditions name `key` (to warn before deleting or renaming it). */
export function dependents(model: Model, key: string): Field[] {
  const needle = JSON.stringify(key);
  return Object.values(model.fields).filter((field) =>
    [field.visibleWhen, field.requiredWhen].some(
      (condition) => condition !== undefined && JSON.stringify(condition).includes(needle),
    ),
  );
}
