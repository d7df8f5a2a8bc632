/**
 * How a field looks on the form, drawn inside its canvas card (inert: nothing to fill in).
 * The live preview (Preview.tsx) shows the server-drawn form instead.
 */
import { localize, useI18n } from "../shared/i18n";
import { paragraphs } from "./text";
import type { Field } from "./model";

export function FieldPreview({ field }: { field: Field }) {
  const { t, lang } = useI18n();
  const label = localize(field.label, lang);
  const help = localize(field.help, lang);
  const placeholder = localize(field.placeholder, lang);
  const required = field.required === true || field.requiredWhenVisible === true;
  if (field.type === "static") {
    const text = paragraphs(localize(field.text, lang));
    return (
      <div className="fp fp-static">
        {text.length ? text.map((p, i) => <p key={i}>{p}</p>) : <p className="fd-muted">{t("preview.emptyText")}</p>}
      </div>
    );
  }
  const options = (field.options ?? []).map((option) => localize(option.label, lang) || option.value);
  return (
    <div className="fp" aria-hidden="true">
      <div className="fp-label">
        {field.type === "checkbox" ? <><span className="fp-check" />{" "}</> : null}
        {label || <span className="fd-muted">{t("preview.noLabel")}</span>}
        {required ? <span className="req"> *</span> : null}
      </div>
      {help ? <div className="fp-help">{help}</div> : null}
      {field.type === "textarea" ? (
        <div className="fp-input fp-textarea">{placeholder}</div>
      ) : field.type === "select" || field.type === "user" ? (
        <div className="fp-input fp-select">{options[0] ?? placeholder}</div>
      ) : field.type === "radio" || field.type === "multiselect" ? (
        <ul className="fp-choices">
          {options.slice(0, 4).map((option, index) => (
            <li key={index}>
              <span className={field.type === "radio" ? "fp-radio" : "fp-check"} /> {option}
            </li>
          ))}
          {options.length > 4 ? <li className="fd-muted">+{options.length - 4}</li> : null}
        </ul>
      ) : field.type === "checkbox" ? null : field.type === "rating" ? (
        <div className="fp-stars">{"★".repeat(Math.min(10, Number(field.max ?? 5)) || 5)}</div>
      ) : field.type === "file" ? (
        <div className="fp-input fp-file">{t("preview.file")}</div>
      ) : field.type === "group" ? (
        <div className="fp-group">
          {(field.fields ?? []).length === 0 ? (
            <span className="fd-muted">{t("preview.emptyGroup")}</span>
          ) : (
            (field.fields ?? []).map((child) => (
              <span key={child.id} className="fp-group-col">
                {localize(child.label, lang) || child.key || child.id}
              </span>
            ))
          )}
        </div>
      ) : (
        <div className="fp-input">{placeholder || (field.type === "date" ? "YYYY-MM-DD" : "")}</div>
      )}
    </div>
  );
}
