/** The flows list: search, create, open, duplicate, archive; where each flow is used. */
import { useCallback, useEffect, useMemo, useState } from "react";
import { seg, type Api } from "../shared/api";
import { errorMessage, localize, useI18n } from "../shared/i18n";

interface VersionUsage {
  number: number;
  open: number;
  form: string | null;
}

export interface FlowRow {
  key: string;
  title: unknown;
  archived: boolean;
  updated_at: string;
  latest_version: number | null;
  form: string | null;
  form_version: number | null;
  open: number;
  versions: VersionUsage[];
}

const KEY = /^[a-z][a-z0-9_-]{0,63}$/;

export function FlowList({ api }: { api: Api }) {
  const { t, lang } = useI18n();
  const [rows, setRows] = useState<FlowRow[] | null>(null);
  const [query, setQuery] = useState("");
  const [archived, setArchived] = useState(false);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [dialog, setDialog] = useState<{ mode: "new" } | { mode: "copy"; from: FlowRow } | null>(null);

  const load = useCallback(async () => {
    try {
      setRows(await api.get<FlowRow[]>(`/api/v1/flows${archived ? "?archived=true" : ""}`));
    } catch (error) {
      setRows([]);
      setMessage({ kind: "error", text: errorMessage(t, error) });
    }
  }, [api, archived, t]);
  useEffect(() => {
    void load();
  }, [load]);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    return (rows ?? []).filter((row) => !q || row.key.includes(q)
      || localize(row.title, lang).toLowerCase().includes(q)
      || Object.values(isRecord(row.title) ? row.title : {}).some((v) => String(v).toLowerCase().includes(q))
      || (row.form ?? "").includes(q));
  }, [rows, query, lang]);

  async function archive(row: FlowRow) {
    const title = localize(row.title, lang) || row.key;
    if (!window.confirm(t("list.archiveConfirm", { title }))) return;
    try {
      await api.delete(`/api/v1/flows/${seg(row.key)}`);
      setMessage({ kind: "ok", text: t("list.archivedDone", { key: row.key }) });
      await load();
    } catch (error) {
      setMessage({ kind: "error", text: errorMessage(t, error) });
    }
  }

  return (
    <div className="fl-root">
      <div className="fl-head">
        <div>
          <h1>{t("list.title")}</h1>
          <p className="fd-muted">{t("list.intro")}</p>
        </div>
        <button type="button" className="btn btn-primary" onClick={() => setDialog({ mode: "new" })}>+ {t("list.new")}</button>
      </div>
      {dialog ? (
        <KeyDialog api={api} mode={dialog.mode} from={dialog.mode === "copy" ? dialog.from : undefined}
                   onCancel={() => setDialog(null)}
                   onDone={async (key, mode) => {
                     setDialog(null);
                     if (mode === "new") {
                       window.location.assign(`/builder/flows/${seg(key)}`);
                       return;
                     }
                     setMessage({ kind: "ok", text: t("list.duplicated", { key }) });
                     await load();
                   }} />
      ) : null}
      <div className="fl-filters">
        <label className="fl-search">
          <span className="visually-hidden">{t("list.search")}</span>
          <input type="search" placeholder={t("list.searchPlaceholder")} aria-label={t("list.search")}
                 value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
        <label className="fd-check">
          <input type="checkbox" checked={archived} onChange={(e) => setArchived(e.target.checked)} /> {t("list.showArchived")}
        </label>
        {rows ? <span className="fd-muted">{t("list.count", { n: shown.length })}</span> : null}
      </div>
      {message ? (
        <p className={`fl-message fl-message-${message.kind}`} role={message.kind === "error" ? "alert" : "status"}>
          {message.text}
          <button type="button" className="btn btn-quiet btn-small" onClick={() => setMessage(null)}>{t("action.dismiss")}</button>
        </p>
      ) : null}
      {rows === null ? <p className="fd-muted">{t("list.loading")}</p> : shown.length === 0 ? (
        <p className="fl-empty">{query ? t("list.noMatch", { q: query }) : t("list.empty")}</p>
      ) : (
        <div className="fl-table-wrap">
          <table className="fl-table">
            <thead>
              <tr>
                <th scope="col">{t("list.colFlow")}</th>
                <th scope="col">{t("list.colForm")}</th>
                <th scope="col">{t("list.colVersions")}</th>
                <th scope="col">{t("list.colUpdated")}</th>
                <th scope="col"><span className="visually-hidden">{t("list.colActions")}</span></th>
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.key} className={row.archived ? "is-archived" : ""} data-key={row.key}>
                  <td data-label={t("list.colFlow")}>
                    <a className="fl-name" href={`/builder/flows/${seg(row.key)}`}>{localize(row.title, lang) || row.key}</a>
                    <div className="fd-muted"><code>{row.key}</code>{row.archived ? ` · ${t("list.archived")}` : ""}</div>
                  </td>
                  <td data-label={t("list.colForm")}>
                    {row.form ? (
                      <span className="fl-pill">{row.form}<small> · {t("list.serving", { n: row.form_version ?? "?" })}</small></span>
                    ) : <span className="fd-muted">{t("list.noForm")}</span>}
                  </td>
                  <td data-label={t("list.colVersions")}>
                    {row.versions.length === 0 ? <span className="fd-muted">{t("list.notPublished")}</span> : (
                      <>
                        <ul className="fl-versions">
                          {row.versions.slice(-4).map((v) => (
                            <li key={v.number} className={v.open ? "has-open" : ""}>{t("list.versionOpen", { n: v.number, open: v.open })}</li>
                          ))}
                        </ul>
                        <small className="fd-muted">{t("list.totalOpen", { open: row.open })}</small>
                      </>
                    )}
                  </td>
                  <td data-label={t("list.colUpdated")}>
                    <time dateTime={row.updated_at}>{formatDate(row.updated_at, lang)}</time>
                  </td>
                  <td className="fl-actions">
                    <a className="btn btn-secondary btn-small" href={`/builder/flows/${seg(row.key)}`}>{t("list.open")}</a>
                    <button type="button" className="btn btn-quiet btn-small" onClick={() => setDialog({ mode: "copy", from: row })}>
                      {t("list.duplicate")}
                    </button>
                    {row.archived ? null : (
                      <button type="button" className="btn btn-danger btn-small" onClick={() => void archive(row)}>{t("list.archive")}</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function KeyDialog({ api, mode, from, onCancel, onDone }: {
  api: Api; mode: "new" | "copy"; from?: FlowRow;
  onCancel: () => void; onDone: (key: string, mode: "new" | "copy") => void;
}) {
  const { t, lang } = useI18n();
  const sourceTitle = from ? localize(from.title, lang) || from.key : "";
  const [key, setKey] = useState(from ? `${from.key}-copy`.slice(0, 64) : "");
  const [title, setTitle] = useState(from ? `${sourceTitle}${t("list.copySuffix")}` : "");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!KEY.test(key)) {
      setError(t("list.keyHelp"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { key, title: { [lang]: title.trim() || key } };
      if (mode === "new") await api.post("/api/v1/flows", body);
      else await api.post(`/api/v1/flows/${seg(from!.key)}/duplicate`, body);
      onDone(key, mode);
    } catch (e) {
      const problem = e as { problems?: { message: string }[] };
      setError(problem.problems?.[0]?.message ?? errorMessage(t, e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="fl-dialog" onSubmit={submit} aria-label={mode === "new" ? t("list.new") : t("list.duplicateTitle", { title: sourceTitle })}>
      <h2>{mode === "new" ? t("list.new") : t("list.duplicateTitle", { title: sourceTitle })}</h2>
      <div className="fl-dialog-fields">
        <label>
          {t("list.titleField")}
          <input value={title} onChange={(e) => setTitle(e.target.value)} autoFocus required />
        </label>
        <label>
          {t("list.key")}
          <input value={key} onChange={(e) => setKey(e.target.value.trim())} required pattern="[a-z][a-z0-9_\-]{0,63}"
                 aria-describedby="fl-key-help" />
          <small id="fl-key-help" className="fd-muted">{t("list.keyHelp")}</small>
        </label>
      </div>
      {error ? <p className="fd-error" role="alert">{error}</p> : null}
      <div className="fd-actions">
        <button type="submit" className="btn btn-primary btn-small" disabled={busy}>{mode === "new" ? t("list.create") : t("list.duplicate")}</button>
        <button type="button" className="btn btn-quiet btn-small" onClick={onCancel}>{t("list.cancel")}</button>
      </div>
    </form>
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function formatDate(value: string, lang: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}
