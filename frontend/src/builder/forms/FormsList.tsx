/**
 * The forms list: every form with where it stands (published version, unpublished draft
 * changes) and where it is used (the flow its tickets start, the open tickets of each
 * published version), and creating, duplicating, importing and archiving forms.
 */
import { useCallback, useEffect, useId, useMemo, useState, type FormEvent } from "react";
import { ApiError, seg, type Api } from "../shared/api";
import { errorMessage, localize, textIn, useI18n } from "../shared/i18n";
import type { FormInfo } from "./Designer";
import { slug } from "./model";
import "./FormsList.css";

interface VersionUsage {
  number: number;
  open: number;
}

/** A row of GET /api/v1/forms?usage=true. */
interface ListedForm extends Omit<FormInfo, "flow"> {
  updated_at?: string;
  flow: { key: string; version: number; title?: unknown } | null;
  open: number;
  versions: VersionUsage[];
}

const KEY_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/** Versions shown one by one; older ones are summed up. */
const SHOWN_VERSIONS = 4;

export function FormsList({ api }: { api: Api }) {
  const { t, lang } = useI18n();
  const [forms, setForms] = useState<ListedForm[] | null>(null);
  const [error, setError] = useState("");
  const [query, setQuery] = useState("");
  const [creating, setCreating] = useState(false);
  const [copying, setCopying] = useState<ListedForm | null>(null);
  const [notice, setNotice] = useState("");
  const searchId = useId();

  const load = useCallback(async () => {
    setError("");
    try {
      setForms(await api.get<ListedForm[]>("/api/v1/forms?usage=true"));
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
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => {
              setCopying(null);
              setCreating(true);
            }}
            aria-expanded={creating}
          >
            + {t("list.new")}
          </button>
        </div>
      </div>
      {creating ? <CreateForm api={api} onCancel={() => setCreating(false)} /> : null}
      {copying ? (
        <CreateForm
          key={copying.key}
          api={api}
          from={copying}
          onCancel={() => setCopying(null)}
          onCopied={async (copy) => {
            setCopying(null);
            setNotice(t("list.duplicated", { title: localize(copy.title, lang) || copy.key, key: copy.key }));
            await load();
          }}
        />
      ) : null}
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
                  {form.updated_at ? (
                    <span className="fd-muted">{t("list.updated", { when: new Date(form.updated_at).toLocaleString(lang) })}</span>
                  ) : null}
                </p>
                <Usage form={form} />
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
                <button
                  type="button"
                  className="btn btn-quiet btn-small"
                  onClick={() => {
                    setCreating(false);
                    setCopying(form);
                  }}
                  aria-label={t("list.duplicateNamed", { title })}
                >
                  {t("list.duplicate")}
                </button>
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

/** Where a form is used: the flow its new tickets start and the open tickets per version. */
function Usage({ form }: { form: ListedForm }) {
  const { t, lang } = useI18n();
  const versions = form.versions ?? [];
  const older = versions.slice(0, -SHOWN_VERSIONS);
  const olderOpen = older.reduce((sum, version) => sum + version.open, 0);
  return (
    <dl className="fl-usage" aria-label={t("list.usage")}>
      <div>
        {/* without a flow the sentence says it all; the term stays for screen readers */}
        <dt className={form.flow ? undefined : "visually-hidden"}>{t("list.startsFlow")}</dt>
        <dd>
          {form.flow ? (
            <a className="fl-flow-link" href={`/builder/flows/${seg(form.flow.key)}`}>
              {t("list.flowVersion", { title: localize(form.flow.title, lang) || form.flow.key, n: form.flow.version })}
            </a>
          ) : (
            <span className="fd-muted">{t("list.noFlow")}</span>
          )}
        </dd>
      </div>
      {versions.length ? (
        <div>
          <dt>{form.open ? t("list.totalOpen", { open: form.open }) : t("list.noTickets")}</dt>
          <dd>
            <ul className="fl-version-usage">
              {older.length ? (
                <li className={olderOpen ? "has-open" : ""}>{t("list.olderVersions", { n: older.length })}</li>
              ) : null}
              {versions.slice(-SHOWN_VERSIONS).map((version) => (
                <li key={version.number} className={version.open ? "has-open" : ""} data-version={version.number}>
                  {t("list.versionOpen", { n: version.number, open: version.open })}
                </li>
              ))}
            </ul>
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

/** Create a form, or (with `from`) duplicate one: its draft under a new key and title. */
function CreateForm({
  api,
  from,
  onCancel,
  onCopied,
}: {
  api: Api;
  from?: ListedForm;
  onCancel: () => void;
  onCopied?: (form: FormInfo) => void | Promise<void>;
}) {
  const { t, lang } = useI18n();
  const [en, setEn] = useState(() => (from ? copyTitle(textIn(from.title, "en"), " (copy)") : ""));
  const [zh, setZh] = useState(() => (from ? copyTitle(textIn(from.title, "zh-CN"), "（副本）") : ""));
  const [key, setKey] = useState(from ? `${from.key}-copy`.slice(0, 64) : "");
  const [keyEdited, setKeyEdited] = useState(Boolean(from));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const ids = { en: useId(), zh: useId(), key: useId() };
  const effectiveKey = keyEdited ? key : slug(en).replace(/_/g, "-").slice(0, 64);
  const keyProblem = effectiveKey && !KEY_PATTERN.test(effectiveKey) ? t("list.keyInvalid") : "";
  const heading = from ? t("list.duplicateTitle", { title: localize(from.title, lang) || from.key }) : t("list.new");

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
      if (from) {
        const copy = await api.post<FormInfo>(`/api/v1/forms/${seg(from.key)}/duplicate`, { key: effectiveKey, title });
        setBusy(false);
        await onCopied?.(copy);
        return;
      }
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
    <form className="card fl-create" onSubmit={(event) => void submit(event)} noValidate aria-label={heading}>
      <h2>{heading}</h2>
      {from ? <p className="fd-muted">{t("list.duplicateIntro")}</p> : null}
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
          {from ? t("list.duplicate") : t("list.create")}
        </button>
        <button type="button" className="btn btn-quiet" onClick={onCancel}>
          {t("action.cancel")}
        </button>
      </div>
    </form>
  );
}

function copyTitle(text: string, suffix: string): string {
  return text ? `${text}${suffix}` : "";
}
