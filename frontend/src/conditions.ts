/**
 * Conditions and visibility, the browser half of builder/conditions.py.
 *
 * A condition is a JSON Schema 2020-12 fragment matched against the form data. Visibility
 * is a fixed point: start with all values; every field whose `visibleWhen` does not match
 * the current data is hidden and its value removed; repeat until nothing is removed.
 * Pure functions: no DOM here.
 *
 * Why @cfworker/json-schema and not ajv: ajv compiles schemas with `new Function`, which the
 * portal's Content-Security-Policy (script-src 'self', no 'unsafe-eval') forbids, and the
 * conditions are only known at run time, so ajv's build-time "standalone" mode cannot help.
 * @cfworker/json-schema interprets the schema instead (it was written for runtimes without
 * eval). One difference from the server: it asserts `format`, which the server's
 * jsonschema validator (built without a format checker) ignores; conditions do not use it.
 */
import { Validator } from "@cfworker/json-schema";

export type Condition = Record<string, unknown> | boolean;
export type FormData_ = Record<string, unknown>;

export interface FieldDefinition {
  id: string;
  key?: string;
  type: string;
  required?: boolean;
  visibleWhen?: Condition;
  requiredWhenVisible?: boolean;
  requiredWhen?: Condition;
  fields?: FieldDefinition[];
  [other: string]: unknown;
}

export interface FormDefinition {
  fields: FieldDefinition[];
  [other: string]: unknown;
}

const validators = new Map<string, Validator>();

/** Whether `data` matches `condition` (validators cached by the condition's JSON). */
export function conditionMatches(condition: Condition, data: unknown): boolean {
  const source = JSON.stringify(condition);
  let validator = validators.get(source);
  if (validator === undefined) {
    // shortCircuit: stop at the first failing keyword; only the verdict matters here.
    validator = new Validator(condition as Record<string, unknown> | boolean, "2020-12", true);
    validators.set(source, validator);
  }
  return validator.validate(data).valid;
}

/** The data left once hidden values are removed, and the ids of the hidden fields. */
export function settle(
  definition: FormDefinition,
  data: FormData_,
): { data: FormData_; hidden: Set<string> } {
  const conditional = definition.fields.filter((field) => field.visibleWhen !== undefined);
  let current: FormData_ = { ...data };
  for (;;) {
    const hidden = conditional.filter(
      (field) => !conditionMatches(field.visibleWhen as Condition, current),
    );
    const gone = new Set(
      hidden
        .map((field) => field.key)
        .filter((key): key is string => key !== undefined && Object.hasOwn(current, key)),
    );
    if (gone.size === 0) {
      return { data: current, hidden: new Set(hidden.map((field) => field.id)) };
    }
    current = Object.fromEntries(Object.entries(current).filter(([key]) => !gone.has(key)));
  }
}

/** Ids of the top-level fields shown for `data`. */
export function visibleIds(definition: FormDefinition, data: FormData_): Set<string> {
  const { hidden } = settle(definition, data);
  return new Set(definition.fields.map((field) => field.id).filter((id) => !hidden.has(id)));
}

/** Keys of the valued top-level fields shown for `data`. */
export function visibleKeys(definition: FormDefinition, data: FormData_): Set<string> {
  const shown = visibleIds(definition, data);
  return new Set(
    definition.fields
      .filter((field) => field.key !== undefined && shown.has(field.id))
      .map((field) => field.key as string),
  );
}

/** Ids of the top-level fields that must have a value for `data` (hidden ones never do). */
export function requiredIds(definition: FormDefinition, data: FormData_): Set<string> {
  const { data: remaining, hidden } = settle(definition, data);
  const required = new Set<string>();
  for (const field of definition.fields) {
    if (hidden.has(field.id)) continue;
    const conditional =
      field.requiredWhen !== undefined && conditionMatches(field.requiredWhen, remaining);
    if (field.required === true || field.requiredWhenVisible === true || conditional) {
      required.add(field.id);
    }
  }
  return required;
}
