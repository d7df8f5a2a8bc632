/**
 * The condition editor: "field / operator / value" rows joined by all / any.
 *
 * It edits a condition fragment (JSON Schema) through rows (conditionRows.ts). A stored
 * condition that rows cannot express is shown as JSON to edit by hand or replace, never
 * silently rewritten. Used by the form designer (visibleWhen, requiredWhen) and open to the
 * flow designer (branch conditions), which passes its own list of fields.
 */
import { useEffect, useId, useMemo, useState } from "react";
import {
  conditionToRows,
  operatorsFor,
  rowsToCondition,
  valueKind,
  type ConditionField,
  type Fragment,
  type Mode,
  type Row,
  type Rows,
} from "./conditionRows";
import { useI18n } from "./i18n";

export interface ConditionEditorProps {
  /** The condition being edited; undefined means "no condition". */
  value: Fragment | undefined;
  onChange: (value: Fragment | undefined) => void;
  /** The fields a row may name (never the field that carries the condition). */
  fields: ConditionField[];
  /** Accessible name of the whole editor, e.g. "Show this field when". */
  label: string;
}

export function ConditionEditor({ value, onChange, fields, label }: ConditionEditorProps) {
  const { t } = useI18n();
  const types = useMemo(
    () => Object.fromEntries(fields.map((field) => [field.key, field.type])),
    [fields],
  );
  const parsed = useMemo(() => conditionToRows(value, types), [value, types]);
  // Rows being typed may be incomplete (not yet in the condition): keep them locally and
  // re-read from `value` only when it changes from outside.
  const [draft, setDraft] = useState<Rows>(parsed ?? { mode: "all", rows: [] });
  const [written, setWritten] = useState<string>(JSON.stringify(value ?? null));
  useEffect(() => {
    const incoming = JSON.stringify(value ?? null);
    if (incoming !== written) {
      setWritten(incoming);
      if (parsed) setDraft(parsed);
    }
  }, [value, parsed, written]);

  const groupId = useId();

  function update(next: Rows) {
    setDraft(next);
    const condition = rowsToCondition(next, types);
    setWritten(JSON.stringify(condition ?? null));
    onChange(condition);
  }

  if (parsed === null && JSON.stringify(value ?? null) === written) {
    return (
      <CustomCondition
        value={value}
        onChange={onChange}
        label={label}
        onReplace={() => update({ mode: "all", rows: [] })}
      />
    );
  }

  function setRow(index: number, row: Row) {
    update({ ...draft, rows: draft.rows.map((old, at) => (at === index ? row : old)) });
  }

  function addRow() {
    const first = fields[0];
    const row: Row = first
      ? { field: first.key, op: operatorsFor(first.type)[0], value: defaultValue(first) }
      : { field: "", op: "equals", value: "" };
    update({ ...draft, rows: [...draft.rows, row] });
  }

  return (
    <fieldset className="cond" aria-label={label}>
      <legend className="cond-legend">{label}</legend>
      {fields.length === 0 ? <p className="cond-hint">{t("cond.noFields")}</p> : null}
      {draft.rows.length === 0 ? <p className="cond-none">{t("cond.none")}</p> : null}
      {draft.rows.length > 1 ? (
        <div className="cond-mode" role="radiogroup" aria-label={t("cond.match")}>
          {(["all", "any"] as Mode[]).map((mode) => (
            <label key={mode}>
              <input
                type="radio"
                name={`${groupId}-mode`}
                checked={draft.mode === mode}
                onChange={() => update({ ...draft, mode })}
              />{" "}
              {t(`cond.${mode}`)}
            </label>
          ))}
        </div>
      ) : null}
      <ol className="cond-rows">
        {draft.rows.map((row, index) => (
          <li key={index} className="cond-row">
            <RowEditor
              row={row}
              fields={fields}
              onChange={(next) => setRow(index, next)}
              onRemove={() =>
                update({ ...draft, rows: draft.rows.filter((_, at) => at !== index) })
              }
            />
          </li>
        ))}
      </ol>
      <div className="cond-actions">
        <button
          type="button"
          className="btn btn-secondary btn-small"
          onClick={addRow}
          disabled={fields.length === 0}
        >
          + {t("cond.addRow")}
        </button>
        {draft.rows.length > 0 ? (
          <button
            type="button"
            className="btn btn-quiet btn-small"
            onClick={() => update({ mode: "all", rows: [] })}
          >
            {t("cond.clear")}
          </button>
        ) : null}
      </div>
    </fieldset>
  );
}

function defaultValue(field: ConditionField): Row["value"] {
  if (field.options && field.options.length > 0) return field.options[0].value;
  return undefined;
}

interface RowEditorProps {
  row: Row;
  fields: ConditionField[];
  onChange: (row: Row) => void;
  onRemove: () => void;
}

function RowEditor({ row, fields, onChange, onRemove }: RowEditorProps) {
  const { t } = useI18n();
  const field = fields.find((candidate) => candidate.key === row.field);
  const type = field?.type ?? "";
  const operators = operatorsFor(type);
  const kind = valueKind(row.op, type);

  function chooseField(key: string) {
    const next = fields.find((candidate) => candidate.key === key);
    if (!next) return;
    const ops = operatorsFor(next.type);
    const op = ops.includes(row.op) ? row.op : ops[0];
    onChange({ field: key, op, value: defaultValue(next) });
  }

  function chooseOperator(op: Row["op"]) {
    const nextKind = valueKind(op, type);
    let value = row.value;
    if (nextKind === "many") value = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
    else if (nextKind === "none") value = undefined;
    else if (Array.isArray(value)) value = value[0];
    onChange({ ...row, op, value });
  }

  return (
    <div className="cond-row-inner">
      <select
        aria-label={t("cond.field")}
        value={field ? row.field : ""}
        onChange={(event) => chooseField(event.target.value)}
      >
        {field ? null : <option value="">{row.field || t("cond.pickField")}</option>}
        {fields.map((candidate) => (
          <option key={candidate.key} value={candidate.key}>
            {candidate.label || candidate.key}
          </option>
        ))}
      </select>
      <select
        aria-label={t("cond.operator")}
        value={row.op}
        onChange={(event) => chooseOperator(event.target.value as Row["op"])}
      >
        {(operators.includes(row.op) ? operators : [row.op, ...operators]).map((op) => (
          <option key={op} value={op}>
            {t(`op.${op}`)}
          </option>
        ))}
      </select>
      <ValueInput row={row} field={field} kind={kind} onChange={(value) => onChange({ ...row, value })} />
      <button type="button" className="btn btn-quiet btn-small cond-remove" onClick={onRemove}
        aria-label={t("cond.removeRow")} title={t("cond.removeRow")}>
        ×
      </button>
    </div>
  );
}

interface ValueInputProps {
  row: Row;
  field: ConditionField | undefined;
  kind: ReturnType<typeof valueKind>;
  onChange: (value: Row["value"]) => void;
}

function ValueInput({ row, field, kind, onChange }: ValueInputProps) {
  const { t } = useI18n();
  if (kind === "none") return null;
  const options = field?.options ?? [];
  if (kind === "many") {
    const chosen = new Set(Array.isArray(row.value) ? row.value : []);
    return (
      <div className="cond-many" role="group" aria-label={t("cond.value")}>
        {options.map((option) => (
          <label key={option.value}>
            <input
              type="checkbox"
              checked={chosen.has(option.value)}
              onChange={(event) => {
                const next = new Set(chosen);
                if (event.target.checked) next.add(option.value);
                else next.delete(option.value);
                onChange(options.map((o) => o.value).filter((v) => next.has(v)));
              }}
            />{" "}
            {option.label || option.value}
          </label>
        ))}
      </div>
    );
  }
  if (options.length > 0) {
    return (
      <select
        aria-label={t("cond.value")}
        value={typeof row.value === "string" ? row.value : ""}
        onChange={(event) => onChange(event.target.value)}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label || option.value}
          </option>
        ))}
      </select>
    );
  }
  if (kind === "number") {
    return (
      <NumberInput
        value={typeof row.value === "number" ? row.value : undefined}
        onChange={onChange}
        label={t("cond.value")}
      />
    );
  }
  return (
    <input
      type="text"
      aria-label={t("cond.value")}
      value={typeof row.value === "string" ? row.value : row.value == null ? "" : String(row.value)}
      onChange={(event) => onChange(event.target.value)}
    />
  );
}

/** A number input that lets people type "1." or "-" without losing it. */
export function NumberInput({
  value,
  onChange,
  label,
  id,
}: {
  value: number | undefined;
  onChange: (value: number | undefined) => void;
  label?: string;
  id?: string;
}) {
  const [text, setText] = useState(value === undefined ? "" : String(value));
  useEffect(() => {
    if (Number(text) !== value && !(text === "" && value === undefined)) {
      setText(value === undefined ? "" : String(value));
    }
    // Only outside changes of `value` should rewrite the text.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <input
      id={id}
      type="number"
      inputMode="decimal"
      step="any"
      aria-label={label}
      value={text}
      onChange={(event) => {
        setText(event.target.value);
        const trimmed = event.target.value.trim();
        const parsed = Number(trimmed);
        onChange(trimmed === "" || !Number.isFinite(parsed) ? undefined : parsed);
      }}
    />
  );
}

function CustomCondition({
  value,
  onChange,
  label,
  onReplace,
}: {
  value: Fragment | undefined;
  onChange: (value: Fragment | undefined) => void;
  label: string;
  onReplace: () => void;
}) {
  const { t } = useI18n();
  const [text, setText] = useState(JSON.stringify(value, null, 2));
  const [error, setError] = useState("");
  const id = useId();
  return (
    <fieldset className="cond cond-custom" aria-label={label}>
      <legend className="cond-legend">{label}</legend>
      <p className="cond-hint">{t("cond.custom")}</p>
      <label htmlFor={id} className="insp-label">
        {t("cond.json")}
      </label>
      <textarea
        id={id}
        className="code"
        rows={6}
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          try {
            const parsed: unknown = JSON.parse(event.target.value);
            if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
              throw new Error("{ … }");
            }
            setError("");
            onChange(parsed as Fragment);
          } catch (failure) {
            setError(t("cond.badJson", { detail: failure instanceof Error ? failure.message : "" }));
          }
        }}
      />
      {error ? <p className="insp-error">{error}</p> : null}
      <button type="button" className="btn btn-secondary btn-small" onClick={onReplace}>
        {t("cond.replace")}
      </button>
    </fieldset>
  );
}
