/** The simulation panel: sample data in (a generated form or JSON), the path and reasons out. */
import { useEffect, useRef, useState } from "react";
import { ApiError, type Api, seg } from "../shared/api";
import { errorMessage, localize, useI18n } from "../shared/i18n";
import { useChoices } from "./context";
import type { FlowNode } from "./model";

export interface SimResult {
  path: string[];
  steps: { node: string; reason: string }[];
  outcome: string | null;
  ended: boolean;
}

export function SimulationPanel({ api, flowKey, nodes, beforeRun, onResult, result, onClose }: {
  api: Api; flowKey: string; nodes: FlowNode[];
  beforeRun: () => Promise<void>;
  onResult: (result: SimResult | null) => void; result: SimResult | null; onClose: () => void;
}) {
  const { t, lang } = useI18n();
  const { formFields } = useChoices();
  const [tab, setTab] = useState<"form" | "json">(formFields.length ? "form" : "json");
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [json, setJson] = useState("{\n  \n}");
  const [priority, setPriority] = useState("normal");
  const [channel, setChannel] = useState("web");
  const [level, setLevel] = useState("");
  const [decisions, setDecisions] = useState<Record<string, "approve" | "reject">>({});
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const approvals = nodes.filter((n) => n.type === "approval");
  const resultRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Scroll the panel only (scrollIntoView would move the page under the site header).
    const box = resultRef.current;
    const panel = box?.closest(".fd-panel");
    if (result && box && panel) panel.scrollTo({ top: box.offsetTop - 12, behavior: "smooth" });
  }, [result]);
  const names = Object.fromEntries(nodes.map((n) => [n.id, localize(n.data.label, lang) || n.id]));

  async function run() {
    setError(null);
    let data: Record<string, unknown>;
    if (tab === "json") {
      try {
        const parsed = JSON.parse(json);
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("{…}");
        data = parsed;
      } catch (e) {
        setError(t("s.badJson", { detail: String((e as Error).message) }));
        return;
      }
    } else {
      data = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== "" && v !== undefined));
    }
    setRunning(true);
    try {
      await beforeRun();
      const answer = await api.post<SimResult>(`/api/v1/flows/${seg(flowKey)}/simulate`, {
        data, decisions, ticket: { priority, channel },
        ...(level ? { requester: { level } } : {}),
      });
      onResult(answer);
    } catch (e) {
      onResult(null);
      setError(e instanceof ApiError && e.status === 422 && e.problems.length ? t("s.mustFix") : errorMessage(t, e));
    } finally {
      setRunning(false);
    }
  }

  return (
    <div className="fd-panel-body fd-sim" aria-label={t("s.title")}>
      <div className="fd-panel-head">
        <h2>{t("s.title")}</h2>
        <button type="button" className="btn btn-quiet btn-small" onClick={onClose}>{t("s.close")}</button>
      </div>
      <p className="fd-help">{t("s.help")}</p>
      <div className="fd-tabs" role="tablist">
        {(["form", "json"] as const).map((name) => (
          <button key={name} type="button" role="tab" aria-selected={tab === name}
                  className={tab === name ? "is-active" : ""} onClick={() => setTab(name)}>
            {t(name === "form" ? "s.formTab" : "s.jsonTab")}
          </button>
        ))}
      </div>
      {tab === "form" ? (
        formFields.length === 0 ? <p className="fd-help">{t("s.noForm")}</p> : (
          <div className="fd-sim-form">
            {formFields.map((field) => (
              <div className="fd-field" key={field.key}>
                <label htmlFor={`sim-${field.key}`}>{field.label}</label>
                {field.options ? (
                  <select id={`sim-${field.key}`} value={String(values[field.key] ?? "")}
                          onChange={(e) => setValues({ ...values, [field.key]: e.target.value })}>
                    <option value="">—</option>
                    {field.options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
                  </select>
                ) : field.type === "checkbox" ? (
                  <input id={`sim-${field.key}`} type="checkbox" checked={values[field.key] === true}
                         onChange={(e) => setValues({ ...values, [field.key]: e.target.checked || undefined })} />
                ) : (
                  <input id={`sim-${field.key}`}
                         type={field.type === "number" || field.type === "rating" ? "number" : field.type === "date" ? "date" : "text"}
                         value={String(values[field.key] ?? "")}
                         onChange={(e) => setValues({
                           ...values,
                           [field.key]: (field.type === "number" || field.type === "rating") && e.target.value !== ""
                             ? Number(e.target.value) : e.target.value,
                         })} />
                )}
              </div>
            ))}
          </div>
        )
      ) : (
        <textarea className="fd-json" aria-label={t("s.jsonTab")} rows={8} value={json}
                  onChange={(e) => setJson(e.target.value)} spellCheck={false} />
      )}
      <fieldset className="fd-group">
        <legend>{t("s.ticket")}</legend>
        <div className="fd-inline">
          <label className="fd-mini">{t("f.ticketPriority")}
            <select value={priority} onChange={(e) => setPriority(e.target.value)}>
              {["low", "normal", "high", "urgent"].map((p) => <option key={p} value={p}>{t(`prio.${p}`)}</option>)}
            </select>
          </label>
          <label className="fd-mini">{t("f.ticketChannel")}
            <select value={channel} onChange={(e) => setChannel(e.target.value)}>
              {["web", "email", "api"].map((c) => <option key={c} value={c}>{c}</option>)}
            </select>
          </label>
          <label className="fd-mini">{t("f.requesterLevel")}
            <input value={level} onChange={(e) => setLevel(e.target.value)} placeholder="vip" />
          </label>
        </div>
      </fieldset>
      {approvals.length ? (
        <fieldset className="fd-group">
          <legend>{t("s.decisions")}</legend>
          {approvals.map((node) => (
            <div key={node.id} className="fd-inline fd-decision">
              <span>{names[node.id]}</span>
              <select aria-label={`${t("s.decisions")}: ${names[node.id]}`} value={decisions[node.id] ?? "approve"}
                      onChange={(e) => setDecisions({ ...decisions, [node.id]: e.target.value as "approve" | "reject" })}>
                <option value="approve">{t("s.approve")}</option>
                <option value="reject">{t("s.reject")}</option>
              </select>
            </div>
          ))}
        </fieldset>
      ) : null}
      <div className="fd-actions">
        <button type="button" className="btn btn-primary btn-small" onClick={run} disabled={running}>
          {running ? t("s.running") : t("s.run")}
        </button>
        {result ? <button type="button" className="btn btn-quiet btn-small" onClick={() => onResult(null)}>{t("s.clear")}</button> : null}
      </div>
      {error ? <p className="fd-error" role="alert">{error}</p> : null}
      {result ? (
        <div className="fd-sim-result" role="status" ref={resultRef}>
          <p className={`fd-outcome fd-outcome-${result.outcome ?? "none"}`}>
            {result.ended && result.outcome ? t("s.outcome", { outcome: t(`p.outcome.${result.outcome}`) }) : t("s.notEnded")}
          </p>
          <h3>{t("s.path")}</h3>
          <ol className="fd-steps">
            {result.steps.map((step, index) => (
              <li key={index}>
                <strong>{names[step.node] ?? step.node}</strong>
                {step.reason ? <span className="fd-reason">{step.reason}</span> : null}
              </li>
            ))}
          </ol>
        </div>
      ) : null}
    </div>
  );
}
