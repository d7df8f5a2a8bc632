/**
 * The live preview: the form as a requester will see it, in the page language, with the
 * same visibility rule as the portal and the server (../../conditions.ts): fields appear and
 * disappear as you fill it in. Nothing is submitted.
 */
import { useMemo, useState } from "react";
import { requiredIds, settle, type FormDefinition } from "../../conditions";
import { localize, useI18n } from "../shared/i18n";
import { toDefinition, type Field, type Model } from "./model";
import { paragraphs } from "./text";

type Data = Record<string, unknown>;

export function Preview({ model }: { model: Model }) {
  const { t, lang } = useI18n();
  const [data, setData] = useState<Data>(() => defaults(model));
  const definition = useMemo(() => toDefinition(model), [model]);
  const safe = useMemo(() => usableConditions(definition as unknown as FormDefinition), [definition]);
  let hidden = new Set<string>();
  let required = new Set<string>();
  try {
    hidden = settle(safe, data).hidden;
    required = requiredIds(safe, data);
  } catch {
    // A condition the browser cannot evaluate yet (being typed): show everything.
  }
  const set = (key: string, value: unknown) => {
    setData((old) => {
      const next = { ...old };
      if (value === undefined || value === "" || (Array.isArray(value) && value.length === 0)) delete next[key];
      else next[key] = value;
      return next;
    });
  };
  const hiddenCount = model.sections.reduce((n, s) => n + s.children.filter((id) => hidden.has(id)).length, 0);
  return (
    <div className="fd-preview">
      <p className="fd-preview-note" role="note">
        {t("preview.note")} {hiddenCount > 0 ? t("preview.hidden", { n: hiddenCount }) : ""}
        <button type="button" className="btn btn-quiet btn-small" onClick={() => setData(defaults(model))}>
          {t("preview.reset")}
        </button>
      </p>
      <div className="card fd-preview-card">
        <h2>{localize(model.head.title, lang)}</h2>
        {model.head.description ? <p className="fd-muted">{localize(model.head.description, lang)}</p> : null}
        {model.sections.map((section) => (
          <section key={section.id} className="fd-preview-section">
            {section.title ? <h3>{localize(section.title, lang)}</h3> : null}
            {section.description ? <p className="fd-muted">{localize(section.description, lang)}</p> : null}
            {section.children
              .filter((id) => !hidden.has(id))
              .map((id) => model.fields[id])
              .filter(Boolean)
              .map((field) => (
                <PreviewField key={field.id} field={field} value={field.key ? data[field.key] : undefined}
                  required={required.has(field.id)} onChange={(value) => field.key && set(field.key, value)} />
              ))}
          </section>
        ))}
        <button type="button" className="btn btn-primary" disabled>
          {t("preview.submit")}
        </button>
      </div>
    </div>
  );
}

/** The pre-filled values, as the portal starts the form. */
function defaults(model: Model): Data {
  const data: Data = {};
  for (const field of Object.values(model.fields)) {
    if (field.key && field.default !== undefined) data[field.key] = field.default;
  }
  return data;
}

/** The definition with conditions that do not compile dropped (a draft may hold any JSON). */
function usableConditions(definition: FormDefinition): FormDefinition {
  return {
    ...definition,
    fields: definition.fields.map((field) => {
      const copy = { ...field };
      for (const name of ["visibleWhen", "requiredWhen"] as const) {
        const condition = copy[name];
        if (condition !== undefined && (condition === null || typeof condition !== "object" || Array.isArray(condition))) {
          delete copy[name];
        }
      }
      return copy;
    }),
  };
}

function PreviewField({
  field,
  value,
  required,
  onChange,
}: {
  field: Field;
  value: unknown;
  required: boolean;
  onChange: (value: unknown) => void;
}) {
  const { t, lang } = useI18n();
  const id = `pv-${field.id}`;
  const label = localize(field.label, lang);
  const help = localize(field.help, lang);
  const placeholder = localize(field.placeholder, lang) || undefined;
  const options = (field.options ?? []).map((option) => ({ value: option.value, label: localize(option.label, lang) || option.value }));
  const head = (
    <>
      <label className="field-label" htmlFor={id}>
        {label}
        {required ? <span className="req" aria-hidden="true"> *</span> : null}
      </label>
      {help ? <p className="field-help">{help}</p> : null}
    </>
  );
  const str = typeof value === "string" ? value : "";
  switch (field.type) {
    case "static":
      return (
        <div className="field field-static">
          {paragraphs(localize(field.text, lang)).map((p, i) => (
            <p key={i}>{p}</p>
          ))}
        </div>
      );
    case "textarea":
      return (
        <div className="field">
          {head}
          <textarea id={id} className="input" rows={Number(field.rows ?? 4)} placeholder={placeholder} value={str} onChange={(e) => onChange(e.target.value)} />
        </div>
      );
    case "number":
      return (
        <div className="field">
          {head}
          <input id={id} className="input" type="number" step="any" placeholder={placeholder}
            value={typeof value === "number" ? value : ""} onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))} />
          {field.unit ? <span className="fd-muted"> {localize(field.unit, lang)}</span> : null}
        </div>
      );
    case "select":
      return (
        <div className="field">
          {head}
          <select id={id} className="input" value={str} onChange={(e) => onChange(e.target.value)}>
            <option value="">{t("preview.choose")}</option>
            {options.map((o) => (
              <option key={o.value} value={o.value}>{o.label}</option>
            ))}
          </select>
        </div>
      );
    case "radio":
    case "multiselect": {
      const list = Array.isArray(value) ? (value as string[]) : [];
      return (
        <fieldset className="field">
          <legend className="field-label">
            {label}
            {required ? <span className="req" aria-hidden="true"> *</span> : null}
          </legend>
          {help ? <p className="field-help">{help}</p> : null}
          {options.map((o) => (
            <label key={o.value} className="fd-preview-choice">
              <input
                type={field.type === "radio" ? "radio" : "checkbox"}
                name={id}
                checked={field.type === "radio" ? str === o.value : list.includes(o.value)}
                onChange={(e) =>
                  field.type === "radio"
                    ? onChange(o.value)
                    : onChange(e.target.checked ? [...list, o.value] : list.filter((v) => v !== o.value))
                }
              />{" "}
              {o.label}
            </label>
          ))}
        </fieldset>
      );
    }
    case "checkbox":
      return (
        <div className="field">
          <label className="fd-preview-choice">
            <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked || undefined)} /> {label}
            {required ? <span className="req" aria-hidden="true"> *</span> : null}
          </label>
          {help ? <p className="field-help">{help}</p> : null}
        </div>
      );
    case "rating": {
      const max = Math.max(3, Math.min(10, Number(field.max ?? 5)));
      return (
        <fieldset className="field">
          <legend className="field-label">{label}</legend>
          <div className="fd-preview-stars">
            {Array.from({ length: max }, (_, i) => i + 1).map((n) => (
              <button key={n} type="button" aria-label={String(n)} aria-pressed={value === n}
                className={typeof value === "number" && n <= value ? "is-on" : ""} onClick={() => onChange(value === n ? undefined : n)}>
                ★
              </button>
            ))}
          </div>
        </fieldset>
      );
    }
    case "file":
      return (
        <div className="field">
          {head}
          <input id={id} className="input" type="file" disabled />
        </div>
      );
    case "group":
      return (
        <fieldset className="field field-group">
          <legend className="field-label">{label}</legend>
          {help ? <p className="field-help">{help}</p> : null}
          <div className="fd-preview-group">
            {(field.fields ?? []).map((child) => (
              <label key={child.id}>
                <span>{localize(child.label, lang) || child.key}</span>
                <input className="input" disabled />
              </label>
            ))}
          </div>
          <button type="button" className="btn btn-secondary btn-small" disabled>
            + {localize(field.addLabel, lang) || t("preview.addRow")}
          </button>
        </fieldset>
      );
    default: {
      const type = { email: "email", phone: "tel", url: "url", date: "date", datetime: "datetime-local", user: "email" }[field.type] ?? "text";
      return (
        <div className="field">
          {head}
          <input id={id} className="input" type={type} placeholder={placeholder} value={str} onChange={(e) => onChange(e.target.value)} />
        </div>
      );
    }
  }
}
