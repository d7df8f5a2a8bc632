/** One step on the canvas: type, name, a one-line summary, its handles and its marks. */
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { localize, useI18n, type Translate } from "../shared/i18n";
import type { Lang } from "../shared/api";
import { useMarks } from "./context";
import { isObject, parseDuration, SPEC, type Data } from "./model";

export function CanvasNode({ id, type, data, selected }: NodeProps) {
  const { t, lang } = useI18n();
  const marks = useMarks();
  const spec = SPEC[type ?? ""] ?? SPEC.action;
  const d = data as Data;
  const problems = marks.problems[id];
  const onPath = marks.simPath?.has(id);
  const reasons = marks.reasons[id];
  const outputs = spec.outputs(d);
  const label = localize(d.label, lang) || (type === "user_task" ? localize(d.title, lang) : "");
  const classes = [
    "fd-node",
    `fd-node-${spec.type}`,
    selected ? "is-selected" : "",
    problems ? "has-problems" : "",
    marks.simPath ? (onPath ? "sim-on" : "sim-off") : "",
  ].join(" ");
  return (
    <div className={classes} style={{ "--accent": spec.color } as React.CSSProperties}
         data-testid={`node-${id}`}>
      {spec.inputs ? <Handle type="target" position={Position.Left} /> : null}
      <div className="fd-node-head">
        <span className="fd-node-icon" aria-hidden="true">{spec.icon}</span>
        <span className="fd-node-type">{t(`node.${spec.type}`)}</span>
        <span className="fd-node-id">{id}</span>
      </div>
      <div className="fd-node-label">{label || summary(spec.type, d, t, lang)}</div>
      {label ? <div className="fd-node-summary">{summary(spec.type, d, t, lang)}</div> : null}
      {problems ? (
        <div className="fd-node-problem" role="alert" title={problems.join("\n")}>
          ⚠ {problems[0]}{problems.length > 1 ? ` (+${problems.length - 1})` : ""}
        </div>
      ) : null}
      {reasons ? <div className="fd-node-reason">↳ {reasons.join("; ")}</div> : null}
      {outputs.length === 1 && outputs[0] === null ? (
        <Handle type="source" position={Position.Right} />
      ) : (
        outputs.map((handle, index) => (
          <div key={handle ?? "out"} className={`fd-out fd-out-${handle ?? "default"}`}
               style={{ top: `${((index + 1) * 100) / (outputs.length + 1)}%` }}>
            <span className="fd-out-label">{handle ? t(`handle.${handle}`) : ""}</span>
            <Handle type="source" position={Position.Right} id={handle ?? undefined}
                    style={{ top: "50%" }} />
          </div>
        ))
      )}
    </div>
  );
}

function summary(type: string, d: Data, t: Translate, lang: Lang): string {
  switch (type) {
    case "start":
      return d.trigger === "form.submitted"
        ? `${t("p.form")}: ${String(d.form || "?")}`
        : t(`p.trigger.${String(d.trigger ?? "manual")}`);
    case "assign": {
      const strategy = String(d.strategy ?? "");
      const who = strategy === "user" ? d.user : strategy === "field_map" ? d.field : d.team;
      return `${t(`p.strategy.${strategy}`)}${who ? ` · ${String(who)}` : ""}`;
    }
    case "approval": {
      const approvers = Array.isArray(d.approvers) ? d.approvers : [];
      const names = approvers.filter(isObject).map((a) => selectorText(a, t));
      const due = parseDuration(d.due);
      return [t(`p.mode.${String(d.mode ?? "single")}`).split(" (")[0], names.join(", "),
        due ? `${due.amount}${due.unit.toLowerCase()}` : ""].filter(Boolean).join(" · ");
    }
    case "user_task":
      return isObject(d.assignee) ? selectorText(d.assignee, t) : localize(d.title, lang);
    case "action":
      return `${t(`p.action.${String(d.action ?? "set")}`)}${d.url ? ` · ${String(d.url)}` : ""}`;
    case "wait":
      return d.for === "duration" ? `${t("p.for.duration")} · ${String(d.duration ?? "")}`
        : t(`p.for.${String(d.for ?? "duration")}`);
    case "end":
      return t(`p.outcome.${String(d.outcome ?? "resolved")}`);
    case "parallel_split":
      return d.join ? `→ ${String(d.join)}` : "";
    default:
      return "";
  }
}

export function selectorText(s: Record<string, unknown>, t: Translate): string {
  switch (s.kind) {
    case "user": return String(s.user ?? "?");
    case "team": return `${String(s.team ?? "?")}${s.leads ? ` (${t("p.leads")})` : ""}`;
    case "role": return `${t("p.role")}: ${String(s.role ?? "?")}`;
    case "field": return `${t("p.field")}: ${String(s.field ?? "?")}`;
    case "manager": return t("p.kind.manager");
    case "requester": return t("p.kind.requester");
    default: return "?";
  }
}
