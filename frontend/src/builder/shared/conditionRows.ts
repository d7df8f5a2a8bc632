/**
 * "Field / operator / value" rows <-> condition fragments (JSON Schema 2020-12).
 *
 * Designers never type conditions: the condition editor keeps rows and writes the fragment
 * the table in docs/form-format.md gives for each operator; several rows combine with
 * allOf ("all") or anyOf ("any"). Reading a stored condition back into rows is the exact
 * inverse for every shape this module writes; anything else (written by hand or by the API)
 * comes back as null and the editor offers its JSON instead. Every fragment names its field
 * under `required` too, since an absent value would match otherwise. Pure functions; the
 * shared vectors in tests/vectors/condition_rows.json pin the shapes for the Python side.
 */

export type Operator =
  | "equals"
  | "not_equals"
  | "in"
  | "contains"
  | "gt"
  | "lt"
  | "gte"
  | "lte"
  | "empty"
  | "not_empty"
  | "checked"
  | "not_checked";

export type RowValue = string | number | boolean | string[] | null;

export interface Row {
  field: string;
  op: Operator;
  value?: RowValue;
}

export type Mode = "all" | "any";

export interface Rows {
  mode: Mode;
  rows: Row[];
}

export type Fragment = Record<string, unknown>;

/** A field a condition can name: its data key, type and (for choices) option values. */
export interface ConditionField {
  key: string;
  type: string;
  label: string;
  options?: { value: string; label: string }[];
}

const TEXT_TYPES = new Set(["text", "textarea", "email", "phone", "url"]);
const CHOICE_TYPES = new Set(["select", "radio"]);
const NUMBER_TYPES = new Set(["number", "rating"]);

/** The operators that make sense for a field type, the usual one first. */
export function operatorsFor(type: string): Operator[] {
  if (CHOICE_TYPES.has(type)) return ["equals", "not_equals", "in", "empty", "not_empty"];
  if (type === "multiselect") return ["contains", "empty", "not_empty"];
  if (NUMBER_TYPES.has(type)) {
    return ["equals", "not_equals", "gt", "lt", "gte", "lte", "empty", "not_empty"];
  }
  if (type === "checkbox") return ["checked", "not_checked"];
  if (TEXT_TYPES.has(type)) return ["equals", "not_equals", "contains", "empty", "not_empty"];
  if (type === "file" || type === "group") return ["not_empty", "empty"];
  return ["equals", "not_equals", "empty", "not_empty"];
}

/** Whether an operator takes a value, and which kind. */
export function valueKind(op: Operator, type: string): "none" | "one" | "many" | "number" {
  if (op === "empty" || op === "not_empty" || op === "checked" || op === "not_checked") {
    return "none";
  }
  if (op === "in") return "many";
  if (NUMBER_TYPES.has(type) || op === "gt" || op === "lt" || op === "gte" || op === "lte") {
    return "number";
  }
  return "one";
}

/** Whether a row is complete enough to write (a value where its operator needs one). */
export function rowComplete(row: Row, type: string): boolean {
  if (!row.field) return false;
  const kind = valueKind(row.op, type);
  if (kind === "none") return true;
  if (kind === "many") return Array.isArray(row.value) && row.value.length > 0;
  if (kind === "number") return typeof row.value === "number" && Number.isFinite(row.value);
  return row.value !== undefined && row.value !== null && row.value !== "";
}

// "-" is only special inside a class, which we never write; escaping it would be a syntax
// error under the Unicode flag that JSON Schema patterns use.
const REGEX_SPECIALS = /[\\^$.*+?()[\]{}|/]/g;

/** `text` as a regex that matches it literally (the same in ECMAScript and Python). */
export function escapePattern(text: string): string {
  return text.replace(REGEX_SPECIALS, (char) => `\\${char}`);
}

/** The literal text a pattern written by escapePattern matches, or null for any other regex. */
export function unescapePattern(pattern: string): string | null {
  let text = "";
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === "\\") {
      const next = pattern[index + 1];
      if (next === undefined || !"\\^$.*+?()[]{}|/".includes(next)) return null;
      text += next;
      index += 1;
    } else if ("^$.*+?()[]{}|".includes(char)) {
      return null;
    } else {
      text += char;
    }
  }
  return text;
}

function property(key: string, schema: Fragment): Fragment {
  return { properties: { [key]: schema }, required: [key] };
}

/** The fragment for one row; `type` is the field's type ("contains" differs for lists). */
export function rowToFragment(row: Row, type = ""): Fragment {
  const { field, value } = row;
  switch (row.op) {
    case "equals":
      return property(field, { const: value });
    case "not_equals":
      return property(field, { not: { const: value } });
    case "in":
      return property(field, { enum: Array.isArray(value) ? value : [value] });
    case "contains":
      return type === "multiselect"
        ? property(field, { contains: { const: value } })
        : property(field, { pattern: escapePattern(String(value ?? "")) });
    case "gt":
      return property(field, { exclusiveMinimum: value });
    case "lt":
      return property(field, { exclusiveMaximum: value });
    case "gte":
      return property(field, { minimum: value });
    case "lte":
      return property(field, { maximum: value });
    case "empty":
      return { not: { required: [field] } };
    case "not_empty":
      return { required: [field] };
    case "checked":
      return property(field, { const: true });
    case "not_checked":
      return { not: property(field, { const: true }) };
  }
}

/**
 * The condition for rows; undefined when there are none. `types` gives each key's field
 * type, needed to tell list "contains" from text "contains"; incomplete rows are skipped.
 */
export function rowsToCondition(
  rows: Rows,
  types: Record<string, string> = {},
): Fragment | undefined {
  const fragments = rows.rows
    .filter((row) => rowComplete(row, types[row.field] ?? ""))
    .map((row) => rowToFragment(row, types[row.field]));
  if (fragments.length === 0) return undefined;
  if (fragments.length === 1) return fragments[0];
  return { [rows.mode === "any" ? "anyOf" : "allOf"]: fragments };
}

function isObject(value: unknown): value is Fragment {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function sameKeys(object: Fragment, keys: string[]): boolean {
  const own = Object.keys(object);
  return own.length === keys.length && keys.every((key) => Object.hasOwn(object, key));
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

/** The one property a `{properties: {k: S}, required: [k]}` fragment names, or null. */
function singleProperty(fragment: Fragment): [string, Fragment] | null {
  if (!sameKeys(fragment, ["properties", "required"])) return null;
  const { properties, required } = fragment;
  if (!isObject(properties) || !Array.isArray(required) || required.length !== 1) return null;
  const keys = Object.keys(properties);
  if (keys.length !== 1 || keys[0] !== required[0] || !isObject(properties[keys[0]])) return null;
  return [keys[0], properties[keys[0]] as Fragment];
}

/** The row a fragment was written from, or null when rows cannot express it. */
export function fragmentToRow(fragment: unknown): Row | null {
  if (!isObject(fragment)) return null;
  if (sameKeys(fragment, ["required"])) {
    const required = fragment.required;
    if (Array.isArray(required) && required.length === 1 && typeof required[0] === "string") {
      return { field: required[0], op: "not_empty" };
    }
    return null;
  }
  if (sameKeys(fragment, ["not"]) && isObject(fragment.not)) {
    const inner = fragment.not;
    if (sameKeys(inner, ["required"])) {
      const required = inner.required;
      if (Array.isArray(required) && required.length === 1 && typeof required[0] === "string") {
        return { field: required[0], op: "empty" };
      }
      return null;
    }
    const negated = singleProperty(inner);
    if (negated && sameKeys(negated[1], ["const"]) && negated[1].const === true) {
      return { field: negated[0], op: "not_checked" };
    }
    return null;
  }
  const single = singleProperty(fragment);
  if (!single) return null;
  const [field, schema] = single;
  const keys = Object.keys(schema);
  if (keys.length !== 1) return null;
  const value = schema[keys[0]];
  switch (keys[0]) {
    case "const":
      return isScalar(value) ? { field, op: "equals", value } : null;
    case "not":
      return isObject(value) && sameKeys(value, ["const"]) && isScalar(value.const)
        ? { field, op: "not_equals", value: value.const }
        : null;
    case "enum":
      return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")
        ? { field, op: "in", value: value as string[] }
        : null;
    case "contains":
      return isObject(value) && sameKeys(value, ["const"]) && typeof value.const === "string"
        ? { field, op: "contains", value: value.const }
        : null;
    case "pattern": {
      const text = typeof value === "string" ? unescapePattern(value) : null;
      return text ? { field, op: "contains", value: text } : null;
    }
    case "exclusiveMinimum":
    case "exclusiveMaximum":
    case "minimum":
    case "maximum": {
      if (typeof value !== "number" || !Number.isFinite(value)) return null;
      const op = ({ exclusiveMinimum: "gt", exclusiveMaximum: "lt", minimum: "gte", maximum: "lte" } as const)[
        keys[0]
      ];
      return { field, op, value };
    }
    default:
      return null;
  }
}

/**
 * The rows a condition was written from, or null when rows cannot express it.
 * No condition reads as no rows. A lone `equals true` on a checkbox reads as "is ticked"
 * when `types` says the field is a checkbox (both write the same fragment).
 */
export function conditionToRows(
  condition: unknown,
  types: Record<string, string> = {},
): Rows | null {
  if (condition === undefined || condition === null) return { mode: "all", rows: [] };
  if (!isObject(condition)) return null;
  let mode: Mode = "all";
  let fragments: unknown[] = [condition];
  for (const [keyword, name] of [
    ["allOf", "all"],
    ["anyOf", "any"],
  ] as const) {
    if (sameKeys(condition, [keyword])) {
      const list = condition[keyword];
      if (!Array.isArray(list) || list.length < 2) return null;
      mode = name;
      fragments = list;
    }
  }
  const rows: Row[] = [];
  for (const fragment of fragments) {
    const row = fragmentToRow(fragment);
    if (row === null) return null;
    if (row.op === "equals" && row.value === true && types[row.field] === "checkbox") {
      rows.push({ field: row.field, op: "checked" });
    } else {
      rows.push(row);
    }
  }
  return { mode, rows };
}

/** The keys a condition's rows name (for "which fields does this depend on"). */
export function rowFields(rows: Rows): string[] {
  return [...new Set(rows.rows.map((row) => row.field).filter(Boolean))];
}
