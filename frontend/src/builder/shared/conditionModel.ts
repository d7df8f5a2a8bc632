/**
 * The condition-row contract under the names issue #4 gives (toSchema / fromSchema), as a
 * thin layer over conditionRows.ts, which holds the implementation and the wider operator
 * set (gte, lte, checked, not_checked). Both write the same fragments.
 */
import {
  conditionToRows,
  rowsToCondition,
  type ConditionField,
  type Operator as RowOperator,
} from "./conditionRows";

export type Operator = RowOperator;
export interface ConditionRow {
  field: string;
  operator: Operator;
  value?: unknown;
}
export interface ConditionModel {
  match: "all" | "any";
  rows: ConditionRow[];
}
export type FieldChoice = ConditionField;

/** The condition fragment for rows (undefined when no row is complete). */
export function toSchema(model: ConditionModel, fields: FieldChoice[]): object | undefined {
  const types = Object.fromEntries(fields.map((field) => [field.key, field.type]));
  return rowsToCondition(
    {
      mode: model.match,
      rows: model.rows.map((row) => ({
        field: row.field,
        op: row.operator,
        value: row.value as string | number | boolean | string[] | null | undefined,
      })),
    },
    types,
  );
}

/** The rows a fragment was written from; null when rows cannot express it. */
export function fromSchema(schema: object | undefined, fields: FieldChoice[] = []): ConditionModel | null {
  const types = Object.fromEntries(fields.map((field) => [field.key, field.type]));
  const rows = conditionToRows(schema, types);
  if (rows === null) return null;
  return {
    match: rows.mode,
    rows: rows.rows.map((row) => ({ field: row.field, operator: row.op, value: row.value })),
  };
}
