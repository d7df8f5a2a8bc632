/**
 * The version history: every published version (number, date, who, hash) and, for any two
 * of them or the draft, what changed in words (./diff.ts). Opens on "latest vs previous",
 * or "draft vs latest" when there is only one version.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { seg, type Api } from "../shared/api";
import { errorMessage, useI18n } from "../shared/i18n";
import { describeChange, diffDefinitions, fieldNames } from "./diff";
import type { Definition } from "./model";

export interface VersionItem {
  number: number;
  hash: string;
  published_at: string;
  published_by: { email: string; name: string } | null;
}

/** "draft" or a version number. */
type Side = "draft" | number;

export function History({ api, formKey, draft, latest }: { api: Api; formKey: string; draft: Definition; latest: number | null }) {
  const { t, lang } = useI18n();
  const [versions, setVersions] = useState<VersionItem[] | null>(null);
  const [error, setError] = useState("");
  const [from, setFrom] = useState<Side | null>(null);
  const [to, setTo] = useState<Side | null>(null);
  const [definitions, setDefinitions] = useState<Record<number, unknown>>({});
  const asked = useRef(new Set<number>());

  useEffect(() => {
    let live = true;
    api.get<VersionItem[]>(`/api/v1/forms/${seg(formKey)}/versions`).then(
      (list) => {
        if (!live) return;
        setVersions(list);
        const last = list[list.length - 1]?.number;
        if (last === undefined) return;
        if (list.length > 1) {
          setFrom(list[list.length - 2].number);
          setTo(last);
        } else {
          setFrom(last);
          setTo("draft");
        }
      },
      (problem: unknown) => live && setError(errorMessage(t, problem)),
    );
    return () => {
      live = false;
    };
  }, [api, formKey, latest, t]);

  // Fetch the definitions of the versions being compared (once each; versions never change).
  useEffect(() => {
    for (const side of [from, to]) {
      if (typeof side !== "number" || asked.current.has(side)) continue;
      asked.current.add(side);
      api.get<{ definition: unknown }>(`/api/v1/forms/${seg(formKey)}/versions/${side}`).then(
        (version) => setDefinitions((known) => ({ ...known, [side]: version.definition })),
        (problem: unknown) => setError(errorMessage(t, problem)),
      );
    }
  }, [api, formKey, from, to, t]);

  const pick = (side: Side | null): unknown => (side === "draft" ? draft : side === null ? undefined : definitions[side]);
  const before = pick(from);
  const after = pick(to);
  const changes = useMemo(
    () => (before !== undefined && after !== undefined ? diffDefinitions(before, after) : null),
    [before, after],
  );
  const names = useMemo(() => fieldNames(before, after), [before, after]);
  const sideName = (side: Side | null) => (side === "draft" ? t("history.draft") : t("history.version", { n: String(side) }));
  const dateFormat = useMemo(() => new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }), [lang]);

  if (error) return <p className="fd-notice fd-notice-error" role="alert">{error}</p>;
  if (versions === null) return <p className="fd-loading">{t("history.loading")}</p>;
  if (versions.length === 0) return <p className="fd-history-empty">{t("history.none")}</p>;
  const last = versions[versions.length - 1].number;
  const sides: Side[] = ["draft", ...versions.map((v) => v.number).reverse()];
  const select = (label: string, value: Side | null, set: (side: Side) => void) => (
    <label className="fd-history-side">
      <span>{label}</span>
      <select value={String(value ?? "")} onChange={(event) => set(event.target.value === "draft" ? "draft" : Number(event.target.value))}>
        {sides.map((side) => (
          <option key={String(side)} value={String(side)}>
            {sideName(side)}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <div className="fd-history">
      <section className="fd-history-list" aria-labelledby="fd-history-title">
        <h2 id="fd-history-title" className="fd-pane-title">{t("history.title")}</h2>
        <table className="fd-table">
          <thead>
            <tr>
              <th scope="col">{t("history.number")}</th>
              <th scope="col">{t("history.date")}</th>
              <th scope="col">{t("history.by")}</th>
              <th scope="col">{t("history.hash")}</th>
            </tr>
          </thead>
          <tbody>
            {[...versions].reverse().map((version) => (
              <tr key={version.number} aria-current={version.number === to || version.number === from ? "true" : undefined}>
                <td>{version.number}</td>
                <td>
                  <time dateTime={version.published_at}>{dateFormat.format(new Date(version.published_at))}</time>
                </td>
                <td>{version.published_by ? version.published_by.name || version.published_by.email : t("history.nobody")}</td>
                <td>
                  <code title={version.hash}>{version.hash.slice(0, 10)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="fd-history-diff" aria-labelledby="fd-diff-title">
        <h2 id="fd-diff-title" className="fd-pane-title">{t("history.compare")}</h2>
        <div className="fd-history-pick">
          {select(t("history.from"), from, setFrom)}
          {select(t("history.to"), to, setTo)}
          {versions.length > 1 ? (
            <button type="button" className="btn btn-quiet btn-small" onClick={() => { setFrom(versions[versions.length - 2].number); setTo(last); }}>
              {t("history.latestVsPrevious")}
            </button>
          ) : null}
          <button type="button" className="btn btn-quiet btn-small" onClick={() => { setFrom(last); setTo("draft"); }}>
            {t("history.draftVsLatest")}
          </button>
        </div>
        {changes === null ? (
          <p className="fd-loading">{t("history.loading")}</p>
        ) : (
          <>
            <p className="fd-diff-summary" role="status">
              {changes.length === 0
                ? t("history.noChanges", { from: sideName(from), to: sideName(to) })
                : t("history.changes", { from: sideName(from), to: sideName(to), n: changes.length })}
            </p>
            <ul className="fd-diff">
              {changes.map((change, index) => (
                <li key={index} className={`fd-diff-${change.kind}`}>
                  {describeChange(change, t, lang, names)}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    </div>
  );
}
