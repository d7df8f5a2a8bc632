/**
 * Makes a server-rendered Docket form live: conditional fields show and hide as the user
 * types, hidden fields are disabled (so they are not submitted), required markers follow
 * `requiredWhen`, repeatable groups get add/remove row buttons, and the error summary takes
 * the focus. The page works without this script; the server stays the authority.
 */
import {
  requiredIds,
  visibleIds,
  type FieldDefinition,
  type FormData_,
  type FormDefinition,
} from "./conditions";

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

const CONTROLS = "input, select, textarea, button";

function readDefinition(): FormDefinition | null {
  const element = document.getElementById("docket-form-definition");
  if (!element?.textContent) return null;
  try {
    const parsed = JSON.parse(element.textContent) as FormDefinition;
    return Array.isArray(parsed.fields) ? parsed : null;
  } catch {
    return null;
  }
}

/** One typed value as the server's parse_html_form would read it; undefined when empty. */
function typedValue(field: FieldDefinition, raw: string[]): unknown {
  const values = raw.map((value) => value.trim()).filter((value) => value !== "");
  if (values.length === 0) return undefined;
  switch (field.type) {
    case "multiselect":
      return [...new Set(values)];
    case "checkbox":
      return values.includes("true") ? true : undefined;
    case "number":
    case "rating": {
      const number = Number(values[0]);
      return Number.isFinite(number) ? number : values[0];
    }
    default:
      return values[0];
  }
}

/** The form's current data, hidden fields included (visibility removes them itself). */
export function readData(form: HTMLFormElement, definition: FormDefinition): FormData_ {
  const posted = new Map<string, string[]>();
  for (const element of Array.from(form.elements) as Control[]) {
    if (!element.name || element instanceof HTMLButtonElement) continue;
    if (element instanceof HTMLInputElement) {
      if ((element.type === "checkbox" || element.type === "radio") && !element.checked) continue;
      if (element.type === "file") {
        if (element.files && element.files.length > 0) {
          posted.set(element.name, [...(posted.get(element.name) ?? []), "file"]);
        }
        continue;
      }
    }
    if (element instanceof HTMLSelectElement && element.multiple) {
      const chosen = Array.from(element.selectedOptions).map((option) => option.value);
      posted.set(element.name, [...(posted.get(element.name) ?? []), ...chosen]);
      continue;
    }
    const name = element.name.endsWith(".keep") ? element.name.slice(0, -5) : element.name;
    posted.set(name, [...(posted.get(name) ?? []), element.value]);
  }
  const data: FormData_ = {};
  for (const field of definition.fields) {
    if (!field.key || field.type === "static") continue;
    if (field.type === "group") {
      const rows = readRows(field, posted);
      if (rows.length > 0) data[field.key] = rows;
      continue;
    }
    if (field.type === "file") {
      const files = posted.get(field.key) ?? [];
      if (files.length > 0) data[field.key] = files.map((id) => ({ id }));
      continue;
    }
    const value = typedValue(field, posted.get(field.key) ?? []);
    if (value !== undefined) data[field.key] = value;
  }
  return data;
}

function readRows(group: FieldDefinition, posted: Map<string, string[]>): FormData_[] {
  const pattern = new RegExp(`^${escapeRegExp(group.key ?? "")}-([0-9]{1,6})-([a-z][a-z0-9_]*)$`);
  const byIndex = new Map<number, Map<string, string[]>>();
  for (const [name, values] of posted) {
    const match = pattern.exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    if (!byIndex.has(index)) byIndex.set(index, new Map());
    byIndex.get(index)?.set(match[2], values);
  }
  const rows: FormData_[] = [];
  for (const index of [...byIndex.keys()].sort((a, b) => a - b)) {
    const row: FormData_ = {};
    for (const child of group.fields ?? []) {
      if (!child.key) continue;
      const value = typedValue(child, byIndex.get(index)?.get(child.key) ?? []);
      if (value !== undefined) row[child.key] = value;
    }
    if (Object.keys(row).length > 0) rows.push(row);
  }
  return rows;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function topLevelWrappers(form: HTMLFormElement): Map<string, HTMLElement> {
  const wrappers = new Map<string, HTMLElement>();
  for (const wrapper of Array.from(form.querySelectorAll<HTMLElement>(".field[data-key]"))) {
    wrappers.set(wrapper.dataset.key ?? "", wrapper);
  }
  return wrappers;
}

/** Show, hide, enable, disable and mark required according to the current data. */
export function refresh(form: HTMLFormElement, definition: FormDefinition): void {
  const data = readData(form, definition);
  const shown = visibleIds(definition, data);
  const required = requiredIds(definition, data);
  const wrappers = topLevelWrappers(form);
  for (const field of definition.fields) {
    const wrapper = wrappers.get(field.key ?? field.id);
    if (!wrapper) continue;
    const visible = shown.has(field.id);
    wrapper.toggleAttribute("data-hidden", !visible);
    wrapper.hidden = !visible;
    for (const control of Array.from(wrapper.querySelectorAll<Control>(CONTROLS))) {
      control.disabled = !visible;
    }
    if (field.type === "static") continue;
    const isRequired = visible && required.has(field.id);
    wrapper.toggleAttribute("data-required", isRequired);
    markRequired(wrapper, field, isRequired);
  }
  for (const section of Array.from(form.querySelectorAll<HTMLElement>("[data-section]"))) {
    const fields = Array.from(section.querySelectorAll<HTMLElement>(".field[data-key]"));
    section.hidden = fields.length > 0 && fields.every((field) => field.hidden);
  }
  for (const rowsElement of Array.from(form.querySelectorAll<HTMLElement>("[data-group-rows]"))) {
    updateRowButtons(rowsElement);
  }
}

function markRequired(wrapper: HTMLElement, field: FieldDefinition, isRequired: boolean): void {
  // Checkbox lists and groups have no single control that "required" could describe.
  if (field.type === "multiselect" || field.type === "group") return;
  const hasKept = wrapper.querySelector('input[type="hidden"][name$=".keep"]') !== null;
  for (const control of Array.from(wrapper.querySelectorAll<Control>("input, select, textarea"))) {
    if (control instanceof HTMLInputElement && control.type === "hidden") continue;
    const needed = isRequired && !(field.type === "file" && hasKept);
    control.required = needed;
  }
}

/** Give every name, id and reference inside group rows its row's current index. */
function renumberRows(rowsElement: HTMLElement, key: string): void {
  const token = new RegExp(`\\b${escapeRegExp(key)}-(?:[0-9]+|__index__)\\b`, "g");
  const rows = Array.from(rowsElement.querySelectorAll<HTMLElement>(":scope > [data-row]"));
  rows.forEach((row, index) => {
    const replace = (value: string): string => value.replace(token, `${key}-${index}`);
    for (const element of [row, ...Array.from(row.querySelectorAll<HTMLElement>("*"))]) {
      for (const attribute of ["id", "name", "for", "aria-describedby", "aria-labelledby"]) {
        const value = element.getAttribute(attribute);
        if (value !== null) element.setAttribute(attribute, replace(value));
      }
    }
    const number = row.querySelector<HTMLElement>("[data-row-number]");
    if (number) number.textContent = String(index + 1);
  });
  updateRowButtons(rowsElement);
}

/** Remove buttons only above the minimum row count; no add button at the maximum. */
function updateRowButtons(rowsElement: HTMLElement): void {
  const rows = rowsElement.querySelectorAll(":scope > [data-row]");
  const group = rowsElement.closest<HTMLElement>(".field-group");
  const minimum = Math.max(1, Number(rowsElement.dataset.minItems ?? "0"));
  const maximum = Number(rowsElement.dataset.maxItems ?? "0");
  rowsElement.toggleAttribute("data-single", rows.length <= minimum);
  const add = group?.querySelector<HTMLButtonElement>("[data-add-row]");
  if (add) add.disabled = group?.hidden === true || (maximum > 0 && rows.length >= maximum);
}

function addRow(group: HTMLElement): void {
  const rowsElement = group.querySelector<HTMLElement>("[data-group-rows]");
  const template = group.querySelector<HTMLTemplateElement>("template[data-row-template]");
  const key = group.dataset.key;
  if (!rowsElement || !template || !key) return;
  const fragment = template.content.cloneNode(true) as DocumentFragment;
  const row = fragment.querySelector<HTMLElement>("[data-row]");
  rowsElement.append(fragment);
  renumberRows(rowsElement, key);
  row?.querySelector<HTMLElement>("input, select, textarea")?.focus();
}

function removeRow(row: HTMLElement): void {
  const rowsElement = row.closest<HTMLElement>("[data-group-rows]");
  const group = row.closest<HTMLElement>(".field-group");
  const key = group?.dataset.key;
  if (!rowsElement || !key) return;
  const rows = Array.from(rowsElement.querySelectorAll<HTMLElement>(":scope > [data-row]"));
  const index = rows.indexOf(row);
  row.remove();
  renumberRows(rowsElement, key);
  const remaining = Array.from(rowsElement.querySelectorAll<HTMLElement>(":scope > [data-row]"));
  const next = remaining[Math.min(index, remaining.length - 1)];
  (next?.querySelector<HTMLElement>("input, select, textarea") ??
    group?.querySelector<HTMLElement>("[data-add-row]"))?.focus();
}

function focusErrorSummary(): void {
  const summary = document.querySelector<HTMLElement>("[data-error-summary]");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = (event.target as HTMLElement).closest<HTMLAnchorElement>('a[href^="#"]');
    if (!link) return;
    const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!target) return;
    event.preventDefault();
    const wrapper = target.closest<HTMLElement>(".field, .group-row") ?? target;
    wrapper.scrollIntoView({ block: "start" });
    target.focus({ preventScroll: true });
  });
}

export function start(): void {
  const form = document.querySelector<HTMLFormElement>("form#docket-form");
  const definition = readDefinition();
  if (!form || !definition) return;
  const update = (): void => {
    try {
      refresh(form, definition);
    } catch (error) {
      // Never leave a field hidden that the user cannot reveal: show everything instead.
      console.error("docket: conditions could not be evaluated; showing every field", error);
      for (const hidden of Array.from(form.querySelectorAll<HTMLElement>("[data-hidden], [data-section]"))) {
        hidden.removeAttribute("data-hidden");
        hidden.hidden = false;
        for (const control of Array.from(hidden.querySelectorAll<Control>(CONTROLS))) {
          control.disabled = false;
        }
      }
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("click", (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button");
    if (!button) return;
    if (button.matches("[data-add-row]")) {
      const group = button.closest<HTMLElement>(".field-group");
      if (group) addRow(group);
    } else if (button.matches("[data-remove-row]")) {
      const row = button.closest<HTMLElement>("[data-row]");
      if (row) removeRow(row);
    } else if (button.matches("[data-remove-file]")) {
      const item = button.closest<HTMLElement>("[data-file]");
      const input = item?.closest(".field")?.querySelector<HTMLInputElement>('input[type="file"]');
      item?.remove();
      input?.focus();
    } else {
      return;
    }
    update();
  });
  for (const rowsElement of Array.from(form.querySelectorAll<HTMLElement>("[data-group-rows]"))) {
    const key = rowsElement.closest<HTMLElement>(".field-group")?.dataset.key;
    if (key) renumberRows(rowsElement, key);
  }
  update();
  focusErrorSummary();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
