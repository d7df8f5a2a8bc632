/**
 * The forms list: every form with where it stands (published version, unpublished draft
 * changes, the flow its tickets follow), and creating, importing and archiving forms.
 */
import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from "react";
import { ApiError, seg, type Api } from "../shared/api";
import { errorMessage, localize, useI18n } from "../shared/i18n";
import type { FormInfo } from "./Designer";
import { slug } from "./model";

interface ListedForm extends FormInfo {
  updated_at?: string;
}

const KEY_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;

export function FormsList({ api }: { api: Api }) {
  const { t, lang } = useI18n();
  const [forms, setForms] = useState<ListedForm[] | null>(null);
  const [error, setError] = useState("");
  const [query, setQuery] = useState("");
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState("");
  const searchId = useId();

  const load = useCallback(async () => {
    setError("");
    try {
      setForms(await api.get<ListedForm[]>("/api/v1/forms"));
    } catch (failure) {
      setError(errorMessage(t, failure));
    }
  }, [api, t]);

  useEffect(() => {
    void load();
  }, [load]);

  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return (forms ?? []).filter(
      (form) =>
        !needle ||
        form.key.includes(needle) ||
        Object.values(typeof form.title === "object" && form.title ? form.title : { en: String(form.title) }).some((text) =>
          String(text).toLowerCase().includes(needle),
        ),
    );
  }, [forms, query]);

  const archive = async (form: ListedForm) => {
    const title = localize(form.title, lang) || form.key;
    if (!window.confirm(t("list.archiveConfirm", { title }))) return;
    try {
      await api.delete(`/api/v1/forms/${seg(form.key)}`);
      setNotice(t("list.archived", { title }));
      await load();
    } catch (failure) {
      setError(errorMessage(t, failure));
    }
  };

  const importFile = async (file: File) => {
    setError("");
    let document: unknown;
    try {
      document = JSON.parse(await file.text());
    } catch {
      setError(t("list.importNotJson"));
      return;
    }
    try {
      const form = await api.post<FormInfo>("/api/v1/forms/import", document);
      window.location.assign(`/builder/forms/${seg(form.key)}`);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 409 && window.confirm(t("list.importReplace"))) {
        try {
          const form = await api.post<FormInfo>("/api/v1/forms/import?replace=true", document);
          window.location.assign(`/builder/forms/${seg(form.key)}`);
        } catch (again) {
          setError(importError(again));
        }
        return;
      }
      setError(importError(failure));
    }
  };

  const importError = (failure: unknown) =>
    failure instanceof ApiError && failure.problems.length
      ? `${errorMessage(t, failure)} ${failure.problems.map((p) => `${p.pointer}: ${p.message}`).join("; ")}`
      : errorMessage(t, failure);

  return (
    <div className="fl container">
      <div className="fl-head">
        <div>
          <h1>{t("list.title")}</h1>
          <p className="fd-muted">{t("list.intro")}</p>
        </div>
        <div className="fl-actions">
          <label className="btn btn-secondary">
            {t("list.import")}
            <input
              type="file"
              accept="application/json,.json"
              className="visually-hidden"
              onChange={(event) => {
                const file = event.target.files?.[0];
                event.target.value = "";
                if (file) void importFile(file);
              }}
            />
          </label>
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)} aria-expanded={creating}>
            + {t("list.new")}
          </button>
        </div>
      </div>
      {creating ? <CreateForm api={api} onCancel={() => setCreating(false)} /> : null}
      {notice ? (
        <p className="fd-notice fd-notice-success" role="status">
          {notice}
        </p>
      ) : null}
      {error ? (
        <div className="fd-notice fd-notice-error" role="alert">
          <span>{error}</span>
          <button type="button" className="btn btn-quiet btn-small" onClick={() => void load()}>
            {t("action.retry")}
          </button>
        </div>
      ) : null}
      {forms === null && !error ? <p>{t("designer.loading")}</p> : null}
      {forms !== null && forms.length > 0 ? (
        <div className="fl-search">
          <label htmlFor={searchId} className="visually-hidden">
            {t("list.search")}
          </label>
          <input id={searchId} type="search" placeholder={t("list.search")} value={query} onChange={(e) => setQuery(e.target.value)} />
        </div>
      ) : null}
      {forms !== null && forms.length === 0 ? (
        <div className="card fl-empty">
          <p>{t("list.empty")}</p>
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            + {t("list.new")}
          </button>
        </div>
      ) : null}
      {forms !== null && forms.length > 0 && shown.length === 0 ? <p>{t("list.noMatch")}</p> : null}
      <ul className="fl-items">
        {shown.map((form) => {
          const title = localize(form.title, lang) || form.key;
          return (
            <li key={form.key} className="card fl-item" data-form={form.key}>
              <div className="fl-main">
                <h2>
                  <a href={`/builder/forms/${seg(form.key)}`}>{title}</a>
                </h2>
                <p className="fl-meta">
                  <code>{form.key}</code>
                  {form.latest_version ? (
                    <span className="badge badge-resolved">{t("list.published", { n: form.latest_version })}</span>
                  ) : (
                    <span className="badge badge-closed">{t("list.draftOnly")}</span>
                  )}
                  {form.latest_version && form.draft_changed ? (
                    <span className="badge badge-open">{t("list.changed")}</span>
                  ) : null}
                  {form.flow ? (
                    <span className="fl-flow">{t("designer.flow", { key: form.flow.key, n: form.flow.version })}</span>
                  ) : (
                    <span className="fl-flow fd-muted">{t("list.noFlow")}</span>
                  )}
                  {form.updated_at ? (
                    <span className="fd-muted">{t("list.updated", { when: new Date(form.updated_at).toLocaleString(lang) })}</span>
                  ) : null}
                </p>
              </div>
              <div className="fl-item-actions">
                <a className="btn btn-secondary btn-small" href={`/builder/forms/${seg(form.key)}`}>
                  {t("list.design")}
                </a>
                {form.latest_version ? (
                  <a className="btn btn-quiet btn-small" href={`/portal/forms/${seg(form.key)}`}>
                    {t("list.open")}
                  </a>
                ) : null}
                <button type="button" className="btn btn-danger btn-small" onClick={() => void archive(form)} aria-label={t("list.archiveNamed", { title })}>
                  {t("list.archive")}
                </button>
              </div>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function CreateForm({ api, onCancel }: { api: Api; onCancel: () => void }) {
  const { t } = useI18n();
  const [en, setEn] = useState("");
  const [zh, setZh] = useState("");
  const [key, setKey] = useState("");
  const [keyEdited, setKeyEdited] = useState(false);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const ids = { en: useId(), zh: useId(), key: useId() };
  const effectiveKey = keyEdited ? key : slug(en).replace(/_/g, "-").slice(0, 64);
  const keyProblem = effectiveKey && !KEY_PATTERN.test(effectiveKey) ? t("list.keyInvalid") : "";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError("");
    if (!en.trim() && !zh.trim()) {
      setError(t("list.titleNeeded"));
      return;
    }
    if (!effectiveKey || keyProblem) {
      setError(keyProblem || t("list.keyNeeded"));
      return;
    }
    setBusy(true);
    try {
      const title: Record<string, string> = {};
      if (en.trim()) title.en = en.trim();
      if (zh.trim()) title["zh-CN"] = zh.trim();
      const form = await api.post<FormInfo>("/api/v1/forms", { key: effectiveKey, title });
      window.location.assign(`/builder/forms/${seg(form.key)}`);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 409
          ? t("list.keyTaken", { key: effectiveKey })
          : failure instanceof ApiError && failure.problems.length
            ? failure.problems.map((p) => p.message).join(" ")
            : errorMessage(t, failure),
      );
      setBusy(false);
    }
  };

  return (
    <form className="card fl-create" onSubmit={(event) => void submit(event)} noValidate>
      <h2>{t("list.new")}</h2>
      <div className="fl-create-grid">
        <div>
          <label htmlFor={ids.en} className="insp-label">{t("list.titleEn")}</label>
          <input id={ids.en} lang="en" value={en} onChange={(e) => setEn(e.target.value)} autoFocus />
        </div>
        <div>
          <label htmlFor={ids.zh} className="insp-label">{t("list.titleZh")}</label>
          <input id={ids.zh} lang="zh-CN" value={zh} onChange={(e) => setZh(e.target.value)} />
        </div>
        <div>
          <label htmlFor={ids.key} className="insp-label">{t("list.key")}</label>
          <input
            id={ids.key}
            className="code"
            spellCheck={false}
            value={effectiveKey}
            aria-invalid={keyProblem ? true : undefined}
            aria-describedby={`${ids.key}-hint`}
            onChange={(e) => {
              setKeyEdited(true);
              setKey(e.target.value);
            }}
          />
          <p id={`${ids.key}-hint`} className={keyProblem ? "insp-error" : "fd-hint"}>
            {keyProblem || t("list.keyHint")}
          </p>
        </div>
      </div>
      {error ? (
        <p className="insp-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="fl-create-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t("list.create")}
        </button>
        <button type="button" className="btn btn-quiet" onClick={onCancel}>
          {t("action.cancel")}
        </button>
      </div>
    </form>
  );
}
