/**
 * The inspector: settings of the selected field or section, or of the form itself.
 * Edits go straight into the model (undoable); nothing here refuses an incomplete value,
 * since drafts may be incomplete: the server's check lists what publishing needs.
 */
import { useId, useState, type ReactNode } from "react";
import { ConditionEditor, NumberInput } from "../shared/ConditionEditor";
import type { ConditionField } from "../shared/conditionRows";
import { LocalizedInput } from "../shared/LocalizedInput";
import { localize, useI18n, type Text } from "../shared/i18n";
import { CHOICE_TYPES, FIELD_TYPES, PLACEHOLDER_TYPES, TYPES_BY_NAME } from "./fieldTypes";
import { freshId, slug, uniqueKey, type Field, type Option, type Section } from "./model";

export interface Problem {
  pointer: string;
  code: string;
  message: string;
}

const KEY_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
const ROLES = ["requester", "agent", "designer", "admin"];

export interface FieldInspectorProps {
  field: Field;
  onChange: (patch: Partial<Field>, group?: string) => void;
  /** Keys used by the field's siblings (to keep keys unique). */
  siblingKeys: Set<string>;
  /** Every id in the form (to give group children fresh ids). */
  takenIds: Set<string>;
  /** Whether the key still follows the English label (a field added in this session). */
  autoKey: boolean;
  onKeyEdited: () => void;
  conditionFields: ConditionField[];
  problems: Problem[];
  /** A group child: no conditions, no group or file type. */
  inGroup?: boolean;
}

export function FieldInspector(props: FieldInspectorProps) {
  const { field, onChange, inGroup = false } = props;
  const { t } = useI18n();
  const validate = field.validate ?? {};
  const setValidate = (name: string, value: unknown) => {
    const next: Record<string, unknown> = { ...validate };
    if (value === undefined || value === "" || value === false) delete next[name];
    else next[name] = value;
    onChange({ validate: Object.keys(next).length ? next : undefined }, `validate.${name}`);
  };
  const keyProblem =
    field.key !== undefined && !KEY_PATTERN.test(field.key)
      ? t("insp.keyInvalid")
      : field.key !== undefined && props.siblingKeys.has(field.key)
        ? t("insp.keyTaken")
        : "";
  const valued = TYPES_BY_NAME[field.type]?.valued !== false;
  const problemFor = (prefix: string) =>
    props.problems.find((problem) => problem.pointer.split("/").slice(-1)[0] === prefix || problem.pointer.includes(`/${prefix}`))?.message;

  return (
    <div className="insp-body">
      {!inGroup && props.problems.length > 0 ? (
        <ul className="insp-problems" aria-label={t("insp.problems")}>
          {props.problems.map((problem, index) => (
            <li key={index}>{problem.message}</li>
          ))}
        </ul>
      ) : null}
      {valued ? (
        <>
          <LocalizedInput
            label={t("insp.fieldLabel")}
            value={field.label}
            required
            error={problemFor("label")}
            onChange={(label) => {
              const patch: Partial<Field> = { label };
              if (props.autoKey && label.en !== undefined) {
                patch.key = uniqueKey(slug(label.en) || field.type, props.siblingKeys);
              }
              onChange(patch, `label.${field.id}`);
            }}
          />
          <Row label={t("insp.key")} hint={keyProblem || t("insp.keyHint")} error={!!keyProblem}>
            {(id) => (
              <input
                id={id}
                type="text"
                className="code"
                spellCheck={false}
                autoCapitalize="off"
                value={field.key ?? ""}
                aria-invalid={keyProblem ? true : undefined}
                onChange={(event) => {
                  props.onKeyEdited();
                  onChange({ key: event.target.value }, `key.${field.id}`);
                }}
              />
            )}
          </Row>
        </>
      ) : null}
      {field.type === "static" ? (
        <LocalizedInput
          label={t("insp.text")}
          value={field.text as Text | undefined}
          multiline
          onChange={(text) => onChange({ text }, `text.${field.id}`)}
        />
      ) : null}
      {valued ? (
        <LocalizedInput
          label={t("insp.help")}
          value={field.help}
          onChange={(help) => onChange({ help: Object.keys(help).length ? help : undefined }, `help.${field.id}`)}
        />
      ) : null}
      {PLACEHOLDER_TYPES.has(field.type) ? (
        <LocalizedInput
          label={t("insp.placeholder")}
          value={field.placeholder}
          onChange={(placeholder) =>
            onChange({ placeholder: Object.keys(placeholder).length ? placeholder : undefined }, `ph.${field.id}`)
          }
        />
      ) : null}
      {valued ? (
        <Check
          label={field.type === "checkbox" ? t("insp.mustTick") : t("insp.required")}
          checked={field.required === true}
          onChange={(required) => onChange({ required: required || undefined })}
        />
      ) : null}
      <TypeSettings {...props} validate={validate} setValidate={setValidate} />
      <DefaultValue field={field} onChange={onChange} />
      {inGroup ? null : <Logic {...props} />}
    </div>
  );
}

function TypeSettings(
  props: FieldInspectorProps & {
    validate: Record<string, unknown>;
    setValidate: (name: string, value: unknown) => void;
  },
) {
  const { field, onChange, validate, setValidate } = props;
  const { t } = useI18n();
  const num = (name: string) => (typeof validate[name] === "number" ? (validate[name] as number) : undefined);
  const numberRow = (name: string, label: string) => (
    <Row label={label} key={name}>
      {(id) => <NumberInput id={id} value={num(name)} onChange={(value) => setValidate(name, value)} />}
    </Row>
  );
  const parts: ReactNode[] = [];
  switch (field.type) {
    case "text":
      parts.push(numberRow("minLength", t("insp.minLength")), numberRow("maxLength", t("insp.maxLength")));
      parts.push(
        <Row label={t("insp.pattern")} hint={t("insp.patternHint")} key="pattern">
          {(id) => (
            <input
              id={id}
              className="code"
              spellCheck={false}
              value={typeof validate.pattern === "string" ? validate.pattern : ""}
              onChange={(event) => setValidate("pattern", event.target.value)}
            />
          )}
        </Row>,
      );
      if (validate.pattern) {
        parts.push(
          <LocalizedInput
            key="patternMessage"
            label={t("insp.patternMessage")}
            value={validate.patternMessage as Text | undefined}
            onChange={(text) => setValidate("patternMessage", Object.keys(text).length ? text : undefined)}
          />,
        );
      }
      break;
    case "textarea":
      parts.push(numberRow("minLength", t("insp.minLength")), numberRow("maxLength", t("insp.maxLength")));
      parts.push(
        <Row label={t("insp.rows")} key="rows">
          {(id) => (
            <NumberInput
              id={id}
              value={typeof field.rows === "number" ? field.rows : undefined}
              onChange={(rows) => onChange({ rows })}
            />
          )}
        </Row>,
      );
      break;
    case "number":
      parts.push(numberRow("min", t("insp.min")), numberRow("max", t("insp.max")));
      parts.push(
        <Check
          key="integer"
          label={t("insp.integer")}
          checked={validate.integer === true}
          onChange={(value) => setValidate("integer", value)}
        />,
        <LocalizedInput
          key="unit"
          label={t("insp.unit")}
          value={field.unit as Text | undefined}
          onChange={(unit) => onChange({ unit: Object.keys(unit).length ? unit : undefined }, `unit.${field.id}`)}
        />,
      );
      break;
    case "date":
      for (const name of ["min", "max"]) {
        parts.push(
          <Row label={t(name === "min" ? "insp.minDate" : "insp.maxDate")} key={name}>
            {(id) => (
              <input
                id={id}
                type="date"
                value={typeof validate[name] === "string" ? (validate[name] as string) : ""}
                onChange={(event) => setValidate(name, event.target.value)}
              />
            )}
          </Row>,
        );
      }
      break;
    case "multiselect":
      parts.push(numberRow("minItems", t("insp.minItems")), numberRow("maxItems", t("insp.maxItems")));
      break;
    case "rating":
      parts.push(
        <Row label={t("insp.ratingMax")} key="max">
          {(id) => (
            <select id={id} value={String(field.max ?? 5)} onChange={(event) => onChange({ max: Number(event.target.value) })}>
              {[3, 4, 5, 6, 7, 8, 9, 10].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Row>,
      );
      break;
    case "file":
      parts.push(numberRow("maxFiles", t("insp.maxFiles")));
      parts.push(
        <Row label={t("insp.maxSize")} key="maxSize">
          {(id) => (
            <NumberInput
              id={id}
              value={num("maxSize") === undefined ? undefined : Math.round(((num("maxSize") as number) / 1048576) * 100) / 100}
              onChange={(mb) => setValidate("maxSize", mb === undefined ? undefined : Math.round(mb * 1048576))}
            />
          )}
        </Row>,
        <Row label={t("insp.accept")} hint={t("insp.acceptHint")} key="accept">
          {(id) => (
            <input
              id={id}
              className="code"
              value={Array.isArray(validate.accept) ? (validate.accept as string[]).join(", ") : ""}
              onChange={(event) => {
                const list = event.target.value
                  .split(/[,\s]+/)
                  .map((item) => item.trim().toLowerCase())
                  .filter(Boolean);
                setValidate("accept", list.length ? list : undefined);
              }}
            />
          )}
        </Row>,
      );
      break;
    case "user":
      parts.push(
        <Row label={t("insp.role")} key="role">
          {(id) => (
            <select
              id={id}
              value={typeof field.role === "string" ? field.role : ""}
              onChange={(event) => onChange({ role: event.target.value || undefined })}
            >
              <option value="">{t("insp.anyRole")}</option>
              {ROLES.map((role) => (
                <option key={role} value={role}>
                  {t(`role.${role}`)}
                </option>
              ))}
            </select>
          )}
        </Row>,
      );
      break;
    case "group":
      parts.push(<GroupChildren key="children" {...props} />);
      parts.push(numberRow("minItems", t("insp.minRows")), numberRow("maxItems", t("insp.maxRows")));
      parts.push(
        <LocalizedInput
          key="addLabel"
          label={t("insp.addLabel")}
          value={field.addLabel as Text | undefined}
          onChange={(text) => onChange({ addLabel: Object.keys(text).length ? text : undefined }, `addLabel.${field.id}`)}
        />,
      );
      break;
  }
  if (CHOICE_TYPES.has(field.type)) parts.unshift(<OptionsEditor key="options" {...props} />);
  return parts.length ? <div className="insp-group">{parts}</div> : null;
}

function OptionsEditor({ field, onChange, problems }: FieldInspectorProps) {
  const { t } = useI18n();
  const options = field.options ?? [];
  const set = (next: Option[], group?: string) => onChange({ options: next }, group);
  const values = new Set(options.map((option) => option.value));
  const optionProblems = problems.filter((problem) => problem.pointer.includes("/options"));
  return (
    <fieldset className="insp-options">
      <legend className="insp-label">{t("insp.options")}</legend>
      <p className="fd-hint">{t("insp.optionsHint")}</p>
      <ol>
        {options.map((option, index) => (
          <li key={index} className="insp-option">
            <input
              aria-label={t("insp.optionLabel", { n: index + 1 })}
              lang="en"
              placeholder="English"
              value={typeof option.label === "string" ? option.label : (option.label?.en ?? "")}
              onChange={(event) => {
                const label = { ...(typeof option.label === "object" ? option.label : {}), en: event.target.value };
                const auto = option.value === slug(typeof option.label === "string" ? option.label : (option.label?.en ?? "")) || /^option_\d+$/.test(option.value);
                const next = { ...option, label };
                if (auto) {
                  const others = new Set(options.filter((_, at) => at !== index).map((o) => o.value));
                  next.value = uniqueKey(slug(event.target.value) || `option_${index + 1}`, others);
                }
                set(options.map((old, at) => (at === index ? next : old)), `opt.${field.id}.${index}`);
              }}
            />
            <input
              aria-label={t("insp.optionLabelZh", { n: index + 1 })}
              lang="zh-CN"
              placeholder="中文"
              value={typeof option.label === "object" ? (option.label?.["zh-CN"] ?? "") : ""}
              onChange={(event) => {
                const label: Record<string, string> = {
                  ...(typeof option.label === "object" ? (option.label as Record<string, string>) : { en: option.label ?? "" }),
                  "zh-CN": event.target.value,
                };
                if (!event.target.value) delete label["zh-CN"];
                set(options.map((old, at) => (at === index ? { ...option, label } : old)), `optzh.${field.id}.${index}`);
              }}
            />
            <input
              aria-label={t("insp.optionValue", { n: index + 1 })}
              className="code"
              spellCheck={false}
              value={option.value}
              onChange={(event) =>
                set(options.map((old, at) => (at === index ? { ...option, value: event.target.value } : old)), `optv.${field.id}.${index}`)
              }
            />
            <span className="insp-option-tools">
              <button type="button" className="fd-icon-btn" aria-label={t("insp.optionUp", { n: index + 1 })} disabled={index === 0}
                onClick={() => { const next = [...options]; [next[index - 1], next[index]] = [next[index], next[index - 1]]; set(next); }}>
                ↑
              </button>
              <button type="button" className="fd-icon-btn is-danger" aria-label={t("insp.optionRemove", { n: index + 1 })}
                onClick={() => set(options.filter((_, at) => at !== index))}>
                ×
              </button>
            </span>
          </li>
        ))}
      </ol>
      {optionProblems.map((problem, index) => (
        <p key={index} className="insp-error">{problem.message}</p>
      ))}
      <PasteOptions
        onAdd={(lines) => {
          const taken = new Set(values);
          const added = lines.map((line, index) => {
            const value = uniqueKey(slug(line) || `option_${options.length + index + 1}`, taken);
            taken.add(value);
            return { value, label: { en: line } };
          });
          // Replace the two starter options when they are untouched.
          const starters = options.every((o) => /^option_\d+$/.test(o.value));
          set(starters ? added : [...options, ...added]);
        }}
      />
      <button
        type="button"
        className="btn btn-secondary btn-small"
        onClick={() => {
          const n = options.length + 1;
          set([...options, { value: uniqueKey(`option_${n}`, values), label: { en: `Option ${n}`, "zh-CN": `选项 ${n}` } }]);
        }}
      >
        + {t("insp.addOption")}
      </button>
    </fieldset>
  );
}

function PasteOptions({ onAdd }: { onAdd: (lines: string[]) => void }) {
  const { t } = useI18n();
  const [text, setText] = useState("");
  const id = useId();
  const lines = [...new Set(text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean))];
  return (
    <details className="insp-paste">
      <summary>{t("insp.pasteOptions")}</summary>
      <label htmlFor={id} className="fd-hint">
        {t("insp.pasteHint")}
      </label>
      <textarea id={id} rows={4} value={text} onChange={(event) => setText(event.target.value)} />
      <button
        type="button"
        className="btn btn-secondary btn-small"
        disabled={lines.length === 0}
        onClick={() => {
          onAdd(lines);
          setText("");
        }}
      >
        {t("insp.pasteAdd", { n: lines.length })}
      </button>
    </details>
  );
}

function GroupChildren(props: FieldInspectorProps) {
  const { field, onChange, takenIds } = props;
  const { t, lang } = useI18n();
  const children = field.fields ?? [];
  const setChildren = (next: Field[], group?: string) => onChange({ fields: next }, group);
  const childTypes = FIELD_TYPES.filter((type) => type.inGroup);
  return (
    <fieldset className="insp-children">
      <legend className="insp-label">{t("insp.groupFields")}</legend>
      {children.length === 0 ? <p className="fd-hint">{t("insp.groupEmpty")}</p> : null}
      {children.map((child, index) => (
        <details key={child.id} className="insp-child" open={children.length === 1 || undefined}>
          <summary>
            {localize(child.label, lang) || child.key || child.id} <span className="fd-muted">· {t(`type.${child.type}`)}</span>
          </summary>
          <FieldInspector
            field={child}
            inGroup
            siblingKeys={new Set(children.filter((c) => c.id !== child.id).map((c) => c.key ?? ""))}
            takenIds={takenIds}
            autoKey={/^(text|number|select|radio|multiselect|checkbox|date|email|phone|url|datetime|textarea|rating|user)(_\d+)?$/.test(child.key ?? "")}
            onKeyEdited={() => undefined}
            conditionFields={[]}
            problems={[]}
            onChange={(patch, group) =>
              setChildren(
                children.map((old) => {
                  if (old.id !== child.id) return old;
                  const next: Field = { ...old };
                  for (const [name, value] of Object.entries(patch)) {
                    if (value === undefined) delete next[name];
                    else next[name] = value;
                  }
                  return next;
                }),
                group,
              )
            }
          />
          <div className="insp-child-tools">
            <button type="button" className="btn btn-quiet btn-small" disabled={index === 0}
              onClick={() => { const next = [...children]; [next[index - 1], next[index]] = [next[index], next[index - 1]]; setChildren(next); }}>
              ↑ {t("field.up")}
            </button>
            <button type="button" className="btn btn-danger btn-small" onClick={() => setChildren(children.filter((c) => c.id !== child.id))}>
              {t("field.remove")}
            </button>
          </div>
        </details>
      ))}
      <label className="insp-add-child">
        <span>{t("insp.addGroupField")}</span>
        <select
          value=""
          onChange={(event) => {
            const type = event.target.value;
            if (!type) return;
            const id = freshId(new Set([...takenIds, ...children.map((c) => c.id)]), "f");
            const keys = new Set(children.map((c) => c.key ?? ""));
            const starter = TYPES_BY_NAME[type]?.starter?.() ?? {};
            const child: Field = { id, type, ...starter };
            if (TYPES_BY_NAME[type]?.valued !== false) {
              child.key = uniqueKey(type, keys);
              child.label = { en: t(`type.${type}`), ...(lang === "zh-CN" ? { "zh-CN": t(`type.${type}`) } : {}) };
            }
            setChildren([...children, child]);
          }}
        >
          <option value="">{t("insp.chooseType")}</option>
          {childTypes.map((type) => (
            <option key={type.type} value={type.type}>
              {t(`type.${type.type}`)}
            </option>
          ))}
        </select>
      </label>
    </fieldset>
  );
}

function Logic({ field, onChange, conditionFields }: FieldInspectorProps) {
  const { t } = useI18n();
  const valued = TYPES_BY_NAME[field.type]?.valued !== false;
  return (
    <div className="insp-group insp-logic">
      <h3 className="insp-heading">{t("insp.logic")}</h3>
      <ConditionEditor
        label={t("insp.visibleWhen")}
        value={field.visibleWhen}
        fields={conditionFields}
        onChange={(visibleWhen) =>
          onChange({ visibleWhen, requiredWhenVisible: visibleWhen ? field.requiredWhenVisible : undefined }, `vis.${field.id}`)
        }
      />
      {valued && field.visibleWhen ? (
        <Check
          label={t("insp.requiredWhenVisible")}
          checked={field.requiredWhenVisible === true}
          onChange={(value) => onChange({ requiredWhenVisible: value || undefined })}
        />
      ) : null}
      {valued && field.required !== true && field.requiredWhenVisible !== true ? (
        <ConditionEditor
          label={t("insp.requiredWhen")}
          value={field.requiredWhen}
          fields={conditionFields}
          onChange={(requiredWhen) => onChange({ requiredWhen }, `reqw.${field.id}`)}
        />
      ) : null}
    </div>
  );
}

/** The value pre-filled on the form, for the types where one default makes sense. */
function DefaultValue({ field, onChange }: Pick<FieldInspectorProps, "field" | "onChange">) {
  const { t, lang } = useI18n();
  const set = (value: unknown) => onChange({ default: value === "" || value === false ? undefined : value }, `default.${field.id}`);
  const current = field.default;
  const text = typeof current === "string" ? current : "";
  let input: ((id: string) => ReactNode) | null = null;
  if (["text", "textarea", "email", "phone", "url"].includes(field.type)) {
    input = (id) => <input id={id} value={text} onChange={(event) => set(event.target.value)} />;
  } else if (field.type === "date" || field.type === "datetime") {
    input = (id) => (
      <input id={id} type={field.type === "date" ? "date" : "datetime-local"} value={text} onChange={(event) => set(event.target.value)} />
    );
  } else if (field.type === "number") {
    input = (id) => (
      <NumberInput id={id} value={typeof current === "number" ? current : undefined} onChange={(value) => set(value)} />
    );
  } else if (field.type === "select" || field.type === "radio") {
    input = (id) => (
      <select id={id} value={text} onChange={(event) => set(event.target.value)}>
        <option value="">{t("insp.noDefault")}</option>
        {(field.options ?? []).map((option) => (
          <option key={option.value} value={option.value}>
            {localize(option.label, lang) || option.value}
          </option>
        ))}
      </select>
    );
  } else if (field.type === "checkbox") {
    return <Check label={t("insp.defaultTicked")} checked={current === true} onChange={(value) => set(value)} />;
  }
  return input ? <Row label={t("insp.default")}>{input}</Row> : null;
}

export function SectionInspector({
  section,
  onChange,
}: {
  section: Section;
  onChange: (patch: Partial<Section>, group?: string) => void;
}) {
  const { t } = useI18n();
  return (
    <div className="insp-body">
      <LocalizedInput label={t("insp.sectionTitle")} value={section.title} onChange={(title) => onChange({ title }, `st.${section.id}`)} />
      <LocalizedInput
        label={t("insp.sectionDescription")}
        value={section.description}
        multiline
        onChange={(description) => onChange({ description }, `sd.${section.id}`)}
      />
    </div>
  );
}

export function Row({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string;
  error?: boolean;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className={`insp-row${error ? " has-error" : ""}`}>
      <label htmlFor={id} className="insp-label">
        {label}
      </label>
      {children(id)}
      {hint ? <p className={error ? "insp-error" : "fd-hint"}>{hint}</p> : null}
    </div>
  );
}

export function Check({ label, checked, onChange }: { label: string; checked: boolean; onChange: (value: boolean) => void }) {
  return (
    <label className="insp-check">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} /> {label}
    </label>
  );
}
