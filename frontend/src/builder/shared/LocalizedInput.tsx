/**
 * An input for a definition TEXT: one box per language (English, Chinese).
 *
 * The value is stored as {"en": ..., "zh-CN": ...}; an empty box removes its locale, so a
 * form shows English where no Chinese was written (the portal's fallback).
 */
import { useId } from "react";
import { LANGS, textIn, useI18n, withText, type Text } from "./i18n";

export interface LocalizedInputProps {
  label: string;
  value: Text | undefined;
  onChange: (value: Record<string, string>) => void;
  multiline?: boolean;
  /** Marks the English box as needing a value (shown, not enforced: drafts may be incomplete). */
  required?: boolean;
  error?: string;
  /** Focus the first box on mount (e.g. a new field's label). */
  autoFocus?: boolean;
}

export function LocalizedInput({
  label,
  value,
  onChange,
  multiline = false,
  required = false,
  error,
  autoFocus = false,
}: LocalizedInputProps) {
  const { t } = useI18n();
  const id = useId();
  return (
    <div className={`loc${error ? " has-error" : ""}`} role="group" aria-labelledby={`${id}-label`}>
      <span id={`${id}-label`} className="insp-label">
        {label}
        {required ? <span className="req" aria-hidden="true"> *</span> : null}
      </span>
      {LANGS.map((lang, index) => {
        const inputId = `${id}-${lang}`;
        const common = {
          id: inputId,
          lang,
          value: textIn(value, lang),
          "aria-label": `${label} (${t(`lang.${lang}`)})`,
          "aria-invalid": error && index === 0 ? true : undefined,
          autoFocus: autoFocus && index === 0,
        };
        return (
          <div key={lang} className="loc-row">
            <label htmlFor={inputId} className="loc-tag" aria-hidden="true">
              {lang === "en" ? "EN" : "中"}
            </label>
            {multiline ? (
              <textarea
                {...common}
                rows={3}
                onChange={(event) => onChange(withText(value, lang, event.target.value))}
              />
            ) : (
              <input
                {...common}
                type="text"
                onChange={(event) => onChange(withText(value, lang, event.target.value))}
              />
            )}
          </div>
        );
      })}
      {error ? <p className="insp-error">{error}</p> : null}
    </div>
  );
}
