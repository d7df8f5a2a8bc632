/** The property panel: one editor per node type, and the arrow (edge) editor. */
import { cloneElement, isValidElement, useId, useState, type ReactNode } from "react";
import { ConditionEditor } from "../shared/ConditionEditor";
import { LocalizedInput } from "../shared/LocalizedInput";
import { localize, useI18n } from "../shared/i18n";
import { useChoices } from "./context";
import { selectorText } from "./CanvasNode";
import {
  flattenCondition,
  formatDuration,
  isObject,
  nestCondition,
  OUTCOME_CATEGORY,
  parseDuration,
  SPEC,
  statusGroups,
  type Data,
  type DurationUnit,
} from "./model";

type Change = (data: Data) => void;

export function Field({ label, children, help }: { label: string; children: ReactNode; help?: string }) {
  const id = useId();
  return (
    <div className="fd-field">
      <label htmlFor={id}>{label}</label>
      <div className="fd-field-input" id={`${id}-wrap`}>
        {wrapId(children, id)}
      </div>
      {help ? <p className="fd-help">{help}</p> : null}
    </div>
  );
}

// Give the single child control the label's id, so getByLabel finds it.
function wrapId(children: ReactNode, id: string): ReactNode {
  return isValidElement<{ id?: string }>(children) ? cloneElement(children, { id }) : children;
}

function Select({ value, options, onChange, placeholder, ...rest }: {
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
  placeholder?: string;
  id?: string;
  "aria-label"?: string;
}) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} {...rest}>
      {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
      {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
    </select>
  );
}

function str(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}

function DurationInput({ value, onChange, allowNone = true, id, label }: {
  value: unknown; onChange: (value: string | undefined) => void; allowNone?: boolean; id?: string; label: string;
}) {
  const { t } = useI18n();
  const parsed = parseDuration(value);
  if (value && !parsed) {
    return <input id={id} aria-label={label} value={str(value)} placeholder="P1DT12H"
                  onChange={(e) => onChange(e.target.value || undefined)} />;
  }
  const unit: DurationUnit = parsed?.unit ?? "D";
  return (
    <div className="fd-inline">
      <input id={id} aria-label={label} type="number" min={allowNone ? 0 : 1} className="fd-num"
             value={parsed ? parsed.amount : ""} placeholder={allowNone ? "—" : "1"}
             onChange={(e) => {
               const amount = Number(e.target.value);
               onChange(e.target.value === "" || amount <= 0 ? undefined : formatDuration(amount, unit));
             }} />
      <select aria-label={`${label}: ${t(`p.unit.${unit}`)}`} value={unit}
              onChange={(e) => parsed && onChange(formatDuration(parsed.amount, e.target.value as DurationUnit))}>
        {(["M", "H", "D"] as DurationUnit[]).map((u) => <option key={u} value={u}>{t(`p.unit.${u}`)}</option>)}
      </select>
    </div>
  );
}

function UserPicker({ value, onChange, id }: { value: string; onChange: (v: string) => void; id?: string }) {
  const { t } = useI18n();
  const { directory } = useChoices();
  const options: [string, string][] = directory.users.map((u) => [u.email, `${u.name} <${u.email}> · ${u.role}`]);
  if (value && !directory.users.some((u) => u.email === value)) options.push([value, `${value} ⚠`]);
  return <Select id={id} value={value} options={options} onChange={onChange} placeholder={t("p.pickUser")} />;
}

function TeamPicker({ value, onChange, id, label }: { value: string; onChange: (v: string) => void; id?: string; label?: string }) {
  const { t } = useI18n();
  const { directory } = useChoices();
  const options: [string, string][] = directory.teams.map((team) => [team.key, `${team.name} (${team.key})`]);
  if (value && !directory.teams.some((team) => team.key === value)) options.push([value, `${value} ⚠`]);
  return <Select id={id} aria-label={label} value={value} options={options} onChange={onChange} placeholder={t("p.pickTeam")} />;
}

function FieldPicker({ value, onChange, id, label }: { value: string; onChange: (v: string) => void; id?: string; label?: string }) {
  const { t } = useI18n();
  const { formFields } = useChoices();
  const options: [string, string][] = formFields.map((f) => [f.key, `${f.label} (${f.key})`]);
  if (value && !formFields.some((f) => f.key === value)) options.push([value, value]);
  return <Select id={id} aria-label={label} value={value} options={options} onChange={onChange} placeholder={t("p.pickField")} />;
}

function FormPicker({ value, onChange, id }: { value: string; onChange: (v: string) => void; id?: string }) {
  const { t, lang } = useI18n();
  const { forms } = useChoices();
  const options: [string, string][] = forms.map((f) => [f.key, `${localize(f.title, lang) || f.key} (${f.key})`]);
  return <Select id={id} value={value} options={options} onChange={onChange} placeholder={t("p.pickForm")} />;
}

/** A ticket status: the custom statuses (GET /api/v1/statuses) under their category. */
function StatusPicker({ value, onChange, placeholder, categories, id }: {
  value: string; onChange: (v: string) => void; placeholder: string; categories?: readonly string[]; id?: string;
}) {
  const { t, lang } = useI18n();
  const { statuses } = useChoices();
  const option = ([v, text]: [string, string]) => <option key={v} value={v}>{text}</option>;
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">{placeholder}</option>
      {statusGroups(statuses, lang, value, categories).map(({ category, options }) => category
        ? <optgroup key={category} label={t(`status.${category}`)}>{options.map(option)}</optgroup>
        : options.map(option))}
    </select>
  );
}

/** One people selector: user, team (leads), role, field, manager (and requester for notify). */
function SelectorEditor({ value, onChange, onRemove, kinds }: {
  value: Record<string, unknown>; onChange: (v: Record<string, unknown>) => void;
  onRemove?: () => void; kinds: string[];
}) {
  const { t } = useI18n();
  const { directory } = useChoices();
  const kind = str(value.kind) || "user";
  return (
    <div className="fd-selector">
      <select aria-label={t("p.kind")} value={kind} onChange={(e) => onChange({ kind: e.target.value })}>
        {kinds.map((k) => <option key={k} value={k}>{t(`p.kind.${k}`)}</option>)}
      </select>
      {kind === "user" ? <UserPicker value={str(value.user)} onChange={(user) => onChange({ ...value, user })} /> : null}
      {kind === "team" ? (
        <>
          <TeamPicker label={t("p.team")} value={str(value.team)} onChange={(team) => onChange({ ...value, team })} />
          <label className="fd-check">
            <input type="checkbox" checked={Boolean(value.leads)}
                   onChange={(e) => onChange({ ...value, leads: e.target.checked })} /> {t("p.leads")}
          </label>
        </>
      ) : null}
      {kind === "role" ? (
        <Select aria-label={t("p.role")} value={str(value.role)} onChange={(role) => onChange({ ...value, role })}
                options={directory.roles.map((r) => [r, r])} placeholder={t("p.role")} />
      ) : null}
      {kind === "field" ? <FieldPicker label={t("p.field")} value={str(value.field)} onChange={(field) => onChange({ ...value, field })} /> : null}
      {onRemove ? (
        <button type="button" className="btn btn-quiet btn-small fd-x" onClick={onRemove}
                aria-label={t("p.remove")} title={t("p.remove")}>×</button>
      ) : null}
    </div>
  );
}

function SelectorList({ label, value, onChange, kinds, addLabel, empty }: {
  label: string; value: unknown; onChange: (v: Record<string, unknown>[]) => void;
  kinds: string[]; addLabel: string; empty?: string;
}) {
  const list = (Array.isArray(value) ? value : []).filter(isObject);
  return (
    <fieldset className="fd-group">
      <legend>{label}</legend>
      {list.length === 0 && empty ? <p className="fd-help fd-warn">{empty}</p> : null}
      {list.map((item, index) => (
        <SelectorEditor key={index} value={item} kinds={kinds}
                        onChange={(next) => onChange(list.map((old, at) => (at === index ? next : old)))}
                        onRemove={() => onChange(list.filter((_, at) => at !== index))} />
      ))}
      <button type="button" className="btn btn-secondary btn-small"
              onClick={() => onChange([...list, { kind: kinds[0] }])}>+ {addLabel}</button>
    </fieldset>
  );
}

/** A {key: value} table editor. */
function MapEditor({ label, value, onChange, keyLabel, renderValue, addLabel }: {
  label: string; value: unknown; onChange: (v: Record<string, unknown>) => void;
  keyLabel: string; addLabel: string;
  renderValue: (value: string, set: (v: string) => void) => ReactNode;
}) {
  const { t } = useI18n();
  const entries = Object.entries(isObject(value) ? value : {});
  const set = (list: [string, unknown][]) => onChange(Object.fromEntries(list));
  return (
    <fieldset className="fd-group">
      <legend>{label}</legend>
      {entries.map(([key, v], index) => (
        <div key={index} className="fd-map-row">
          <input aria-label={keyLabel} value={key} placeholder={keyLabel}
                 onChange={(e) => set(entries.map((old, at) => (at === index ? [e.target.value, old[1]] : old)))} />
          <span aria-hidden="true">→</span>
          {renderValue(str(v), (next) => set(entries.map((old, at) => (at === index ? [old[0], next] : old))))}
          <button type="button" className="btn btn-quiet btn-small fd-x" aria-label={t("p.remove")}
                  onClick={() => set(entries.filter((_, at) => at !== index))}>×</button>
        </div>
      ))}
      <button type="button" className="btn btn-secondary btn-small"
              onClick={() => {
                let n = entries.length + 1;
                while (entries.some(([k]) => k === `value${n}`)) n += 1;
                set([...entries, [`value${n}`, ""]]);
              }}>+ {addLabel}</button>
    </fieldset>
  );
}

export function NodePanel({ id, type, data, onChange, nodes, edges, onSelectEdge, onAddEdge }: {
  id: string; type: string; data: Data; onChange: Change;
  nodes: { id: string; type?: string; data: Data }[];
  edges: { id: string; source: string; target: string; sourceHandle?: string | null; data?: unknown }[];
  onSelectEdge: (id: string) => void;
  onAddEdge: (target: string, handle: string | null) => void;
}) {
  const { t, lang } = useI18n();
  const set = (patch: Data) => onChange({ ...data, ...patch });
  const spec = SPEC[type] ?? SPEC.action;
  const drop = (...keys: string[]) => {
    const next = { ...data };
    for (const key of keys) delete next[key];
    return next;
  };
  const nodeOptions: [string, string][] = nodes.filter((n) => n.id !== id)
    .map((n) => [n.id, `${localize(n.data.label, lang) || n.id} (${n.id})`]);
  return (
    <div className="fd-panel-body">
      <div className="fd-panel-title" style={{ "--accent": spec.color } as React.CSSProperties}>
        <span className="fd-node-icon" aria-hidden="true">{spec.icon}</span>
        <div>
          <strong>{t(`node.${spec.type}`)}</strong>
          <span className="fd-muted"> · {t("p.id")}: <code>{id}</code></span>
        </div>
      </div>
      <LocalizedInput label={t("p.label")} value={data.label as never}
                      onChange={(label) => onChange(Object.keys(label).length ? { ...data, label } : drop("label"))} />
      {type === "start" ? (
        <>
          <Field label={t("p.trigger")}>
            <Select value={str(data.trigger) || "manual"}
                    options={["form.submitted", "ticket.created", "manual"].map((v) => [v, t(`p.trigger.${v}`)])}
                    onChange={(trigger) => onChange(trigger === "form.submitted" ? { ...data, trigger } : { ...drop("form"), trigger })} />
          </Field>
          {data.trigger === "form.submitted" ? (
            <Field label={t("p.form")}>
              <FormPicker value={str(data.form)} onChange={(form) => set({ form })} />
            </Field>
          ) : null}
        </>
      ) : null}
      {type === "exclusive" ? <p className="fd-help">{t("p.exclusiveHelp")}</p> : null}
      {spec.outputs(data).length > 0 ? (
        <fieldset className="fd-group">
          <legend>{t("p.outgoing")}</legend>
          {edges.filter((e) => e.source === id).length === 0 ? <p className="fd-help">{t("p.noOutgoing")}</p> : (
            <ul className="fd-outgoing">
              {edges.filter((e) => e.source === id).map((e) => {
                const ed = (isObject(e.data) ? e.data : {}) as Data;
                const target = nodes.find((n) => n.id === e.target);
                return (
                  <li key={e.id}>
                    <button type="button" className="fd-link" onClick={() => onSelectEdge(e.id)}>
                      → {(target && localize(target.data.label, lang)) || e.target}
                    </button>
                    <span className="fd-muted">
                      {e.sourceHandle ? ` ${t(`handle.${e.sourceHandle}`)}` : ""}
                      {ed.default === true ? ` ★ ${t("d.otherwise")}` : typeof ed.priority === "number" ? ` #${ed.priority}` : ""}
                      {isObject(ed.when) ? ` · ${t("d.conditionSet")}` : ""}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
          <AddArrow outputs={spec.outputs(data)} targets={nodes.filter((n) => n.id !== id && n.type !== "start")
            .map((n) => [n.id, `${localize(n.data.label, lang) || n.id} (${n.id})`])} onAdd={onAddEdge} />
        </fieldset>
      ) : null}
      {type === "parallel_split" ? (
        <Field label={t("p.join")}>
          <Select value={str(data.join)} placeholder={t("p.pickJoin")} onChange={(join) => set({ join })}
                  options={nodes.filter((n) => n.type === "parallel_join").map((n) => [n.id, `${localize(n.data.label, lang) || n.id}`])} />
        </Field>
      ) : null}
      {type === "parallel_join" ? <p className="fd-help">{t("p.joinHelp")}</p> : null}
      {type === "assign" ? <AssignPanel data={data} onChange={onChange} /> : null}
      {type === "approval" ? (
        <>
          <SelectorList label={t("p.approvers")} value={data.approvers} addLabel={t("p.addApprover")}
                        empty={t("p.noApprovers")} kinds={["team", "user", "role", "field", "manager"]}
                        onChange={(approvers) => set({ approvers })} />
          <Field label={t("p.mode")}>
            <Select value={str(data.mode) || "single"}
                    options={["single", "sequential", "all", "any", "k_of_n"].map((m) => [m, t(`p.mode.${m}`)])}
                    onChange={(mode) => onChange(mode === "k_of_n" ? { ...data, mode, k: data.k ?? 1 } : { ...drop("k"), mode })} />
          </Field>
          {data.mode === "k_of_n" ? (
            <Field label={t("p.k")}>
              <input type="number" min={1} value={str(data.k)} onChange={(e) => set({ k: Math.max(0, Math.floor(Number(e.target.value))) })} />
            </Field>
          ) : null}
          <Field label={t("p.due")}>
            <DurationInput label={t("p.due")} value={data.due}
                           onChange={(due) => onChange(due ? { ...data, due } : drop("due", "onTimeout", "remindEvery"))} />
          </Field>
          {data.due ? (
            <>
              <Field label={t("p.onTimeout")}>
                <Select value={str(data.onTimeout) || "remind"} onChange={(onTimeout) => set({ onTimeout })}
                        options={["remind", "escalate", "approve", "reject"].map((v) => [v, t(`p.onTimeout.${v}`)])} />
              </Field>
              {(data.onTimeout ?? "remind") === "remind" ? (
                <Field label={t("p.remindEvery")}>
                  <DurationInput label={t("p.remindEvery")} value={data.remindEvery}
                                 onChange={(remindEvery) => onChange(remindEvery ? { ...data, remindEvery } : drop("remindEvery"))} />
                </Field>
              ) : null}
            </>
          ) : null}
          <Field label={t("p.onReject")}>
            <Select value={str(data.onReject) || "edge"} onChange={(onReject) => onChange(onReject === "return" ? { ...data, onReject } : drop("onReject", "returnTo"))}
                    options={["edge", "return"].map((v) => [v, t(`p.onReject.${v}`)])} />
          </Field>
          {data.onReject === "return" ? (
            <Field label={t("p.returnTo")}>
              <Select value={str(data.returnTo)} options={nodeOptions} placeholder={t("p.pickNode")} onChange={(returnTo) => set({ returnTo })} />
            </Field>
          ) : null}
          <p className="fd-help">{t("p.handlesHelp")}</p>
        </>
      ) : null}
      {type === "user_task" ? (
        <>
          <LocalizedInput label={t("p.title")} value={data.title as never} onChange={(title) => set({ title })} />
          <fieldset className="fd-group">
            <legend>{t("p.assignee")}</legend>
            <SelectorEditor kinds={["team", "user", "role", "field", "manager"]}
                            value={isObject(data.assignee) ? data.assignee : { kind: "team" }}
                            onChange={(assignee) => set({ assignee })}
                            onRemove={isObject(data.assignee) ? () => onChange(drop("assignee")) : undefined} />
          </fieldset>
          <Field label={t("p.taskForm")}>
            <FormPicker value={str(data.form)} onChange={(form) => onChange(form ? { ...data, form } : drop("form"))} />
          </Field>
          <Field label={t("p.due")}>
            <DurationInput label={t("p.due")} value={data.due} onChange={(due) => onChange(due ? { ...data, due } : drop("due"))} />
          </Field>
        </>
      ) : null}
      {type === "action" ? <ActionPanel data={data} onChange={onChange} /> : null}
      {type === "wait" ? <WaitPanel data={data} onChange={onChange} /> : null}
      {type === "end" ? <EndPanel data={data} onChange={onChange} /> : null}
    </div>
  );
}

/** A way to draw an arrow without dragging: pick the target (and the outcome). */
function AddArrow({ outputs, targets, onAdd }: {
  outputs: (string | null)[]; targets: [string, string][];
  onAdd: (target: string, handle: string | null) => void;
}) {
  const { t } = useI18n();
  const [target, setTarget] = useState("");
  const [handle, setHandle] = useState<string>(outputs[0] ?? "");
  return (
    <div className="fd-add-arrow">
      {outputs.length > 1 ? (
        <select aria-label={t("p.arrowOutcome")} value={handle} onChange={(e) => setHandle(e.target.value)}>
          {outputs.map((o) => <option key={o ?? ""} value={o ?? ""}>{o ? t(`handle.${o}`) : "—"}</option>)}
        </select>
      ) : null}
      <select aria-label={t("p.arrowTo")} value={target} onChange={(e) => setTarget(e.target.value)}>
        <option value="">{t("p.arrowTo")}</option>
        {targets.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
      <button type="button" className="btn btn-secondary btn-small" disabled={!target}
              onClick={() => { onAdd(target, handle || null); setTarget(""); }}>+ {t("p.addArrow")}</button>
    </div>
  );
}

function AssignPanel({ data, onChange }: { data: Data; onChange: Change }) {
  const { t } = useI18n();
  const strategy = str(data.strategy) || "round_robin";
  const keep = (...keys: string[]) => Object.fromEntries(
    Object.entries(data).filter(([k]) => ["label", ...keys].includes(k)));
  return (
    <>
      <Field label={t("p.strategy")}>
        <Select value={strategy}
                options={["user", "team", "round_robin", "least_loaded", "skills", "field_map"].map((s) => [s, t(`p.strategy.${s}`)])}
                onChange={(next) => onChange({ ...keep(next === "user" ? "user" : next === "field_map" ? "field" : "team"), strategy: next })} />
      </Field>
      {strategy === "user" ? (
        <Field label={t("p.user")}><UserPicker value={str(data.user)} onChange={(user) => onChange({ ...data, user })} /></Field>
      ) : null}
      {["team", "round_robin", "least_loaded", "skills"].includes(strategy) ? (
        <Field label={t("p.team")}><TeamPicker value={str(data.team)} onChange={(team) => onChange({ ...data, team })} /></Field>
      ) : null}
      {strategy === "skills" ? (
        <Field label={t("p.skills")}>
          <input value={(Array.isArray(data.skills) ? data.skills : []).map((s) => (isObject(s) ? `{${str(s.field)}}` : str(s))).join(", ")}
                 onChange={(e) => onChange({ ...data, skills: e.target.value.split(",").map((s) => s.trim()).filter(Boolean)
                   .map((s) => (/^\{.+\}$/.test(s) ? { field: s.slice(1, -1) } : s)) })} />
        </Field>
      ) : null}
      {strategy === "field_map" ? (
        <>
          <Field label={t("p.field")}><FieldPicker value={str(data.field)} onChange={(field) => onChange({ ...data, field })} /></Field>
          <MapEditor label={t("p.map")} value={data.map} keyLabel={t("p.value")} addLabel={t("p.addMapping")}
                     onChange={(map) => onChange({ ...data, map })}
                     renderValue={(v, setV) => <TeamPicker label={t("p.team")} value={v} onChange={setV} />} />
          <Field label={t("p.fallback")}>
            <TeamPicker value={str(data.fallback)} onChange={(fallback) => onChange({ ...data, fallback })} />
          </Field>
        </>
      ) : null}
    </>
  );
}

/** An end: its outcome, and optionally a custom status in the outcome's category. */
function EndPanel({ data, onChange }: { data: Data; onChange: Change }) {
  const { t } = useI18n();
  const outcome = str(data.outcome) || "resolved";
  const category = OUTCOME_CATEGORY[outcome] ?? "resolved";
  return (
    <>
      <Field label={t("p.outcome")}>
        <Select value={outcome} options={["resolved", "rejected", "cancelled"].map((v) => [v, t(`p.outcome.${v}`)])}
                // a status of the old outcome's category would not fit the new one
                onChange={(next) => onChange(OUTCOME_CATEGORY[next] === category
                  ? { ...data, outcome: next } : { ...without(data, "status"), outcome: next })} />
      </Field>
      <Field label={t("p.endStatus")} help={t("p.endStatusHelp")}>
        <StatusPicker value={str(data.status)} categories={[category]}
                      placeholder={t("p.endStatusDefault", { category: t(`status.${category}`) })}
                      onChange={(status) => onChange(status ? { ...data, status } : without(data, "status"))} />
      </Field>
    </>
  );
}

function ActionPanel({ data, onChange }: { data: Data; onChange: Change }) {
  const { t } = useI18n();
  const action = str(data.action) || "set";
  const set = (patch: Data) => onChange({ ...data, ...patch });
  const setBlock = isObject(data.set) ? data.set : {};
  const label = isObject(data.label) || typeof data.label === "string" ? { label: data.label } : {};
  return (
    <>
      <Field label={t("p.action")}>
        <Select value={action} options={["set", "notify", "webhook", "lookup"].map((a) => [a, t(`p.action.${a}`)])}
                onChange={(next) => onChange({
                  ...label, action: next,
                  ...(next === "set" ? { set: { status: "open" } } : {}),
                  ...(next === "notify" ? { channel: "email", to: [{ kind: "requester" }], subject: {}, body: {} } : {}),
                  ...(next === "webhook" ? { url: "https://", retry: { max: 5 } } : {}),
                  ...(next === "lookup" ? { url: "https://", method: "GET", map: {} } : {}),
                })} />
      </Field>
      {action === "set" ? (
        <>
          <Field label={t("p.status")}>
            <StatusPicker value={str(setBlock.status)} placeholder={t("p.unchanged")}
                          onChange={(status) => set({ set: cleaned({ ...setBlock, status }) })} />
          </Field>
          <Field label={t("p.priority")}>
            <Select value={str(setBlock.priority)} placeholder={t("p.unchanged")}
                    options={["low", "normal", "high", "urgent"].map((p) => [p, t(`prio.${p}`)])}
                    onChange={(priority) => set({ set: cleaned({ ...setBlock, priority }) })} />
          </Field>
          <MapEditor label={t("p.setFields")} value={setBlock.fields} keyLabel={t("p.field")} addLabel={t("p.addField")}
                     onChange={(fields) => set({ set: cleaned({ ...setBlock, fields }) })}
                     renderValue={(v, setV) => <input aria-label={t("p.fieldValue")} value={v} onChange={(e) => setV(e.target.value)} />} />
        </>
      ) : null}
      {action === "notify" ? (
        <>
          <Field label={t("p.channel")}>
            <Select value={str(data.channel) || "email"} onChange={(channel) => set({ channel })}
                    options={["email", "in_app"].map((c) => [c, t(`p.channel.${c}`)])} />
          </Field>
          <SelectorList label={t("p.to")} value={data.to} addLabel={t("p.addRecipient")}
                        kinds={["requester", "user", "team", "role", "field", "manager"]} onChange={(to) => set({ to })} />
          <LocalizedInput label={t("p.subject")} value={data.subject as never} onChange={(subject) => set({ subject })} />
          <LocalizedInput label={t("p.body")} value={data.body as never} multiline onChange={(body) => set({ body })} />
        </>
      ) : null}
      {action === "webhook" || action === "lookup" ? (
        <Field label={t("p.url")} help={t("p.urlHelp")}>
          <input type="url" value={str(data.url)} onChange={(e) => set({ url: e.target.value })} />
        </Field>
      ) : null}
      {action === "webhook" ? (
        <>
          <Field label={t("p.secret")}>
            <input type="password" autoComplete="off" value={str(data.secret)}
                   onChange={(e) => onChange(e.target.value ? { ...data, secret: e.target.value } : without(data, "secret"))} />
          </Field>
          <Field label={t("p.retry")}>
            <input type="number" min={0} max={20} value={str(isObject(data.retry) ? data.retry.max : "")}
                   onChange={(e) => set({ retry: { max: Math.max(0, Math.floor(Number(e.target.value))) } })} />
          </Field>
        </>
      ) : null}
      {action === "lookup" ? (
        <>
          <Field label={t("p.method")}>
            <Select value={str(data.method) || "GET"} options={[["GET", "GET"], ["POST", "POST"]]} onChange={(method) => set({ method })} />
          </Field>
          <MapEditor label={t("p.lookupMap")} value={data.map} keyLabel={t("p.field")} addLabel={t("p.addField")}
                     onChange={(map) => set({ map })}
                     renderValue={(v, setV) => <input aria-label={t("p.pointer")} placeholder="/customer/level" value={v} onChange={(e) => setV(e.target.value)} />} />
        </>
      ) : null}
    </>
  );
}

function WaitPanel({ data, onChange }: { data: Data; onChange: Change }) {
  const { t } = useI18n();
  const kind = str(data.for) || "duration";
  const label = data.label !== undefined ? { label: data.label } : {};
  return (
    <>
      <Field label={t("p.for")}>
        <Select value={kind} options={["duration", "date", "event"].map((k) => [k, t(`p.for.${k}`)])}
                onChange={(next) => onChange({
                  ...label, for: next,
                  ...(next === "duration" ? { duration: "P1D" } : {}),
                  ...(next === "event" ? { event: "requester.replied" } : {}),
                })} />
      </Field>
      {kind === "duration" ? (
        <Field label={t("p.duration")}>
          <DurationInput label={t("p.duration")} value={data.duration} allowNone={false}
                         onChange={(duration) => onChange({ ...data, duration })} />
        </Field>
      ) : null}
      {kind === "date" ? (
        <>
          <Field label={t("p.date")}>
            <input type="datetime-local" value={str(data.date).slice(0, 16)}
                   onChange={(e) => onChange(e.target.value ? { ...without(data, "field"), date: new Date(e.target.value).toISOString() } : without(data, "date"))} />
          </Field>
          <Field label={t("p.dateField")}>
            <FieldPicker value={str(data.field)} onChange={(field) => onChange(field ? { ...without(data, "date"), field } : without(data, "field"))} />
          </Field>
        </>
      ) : null}
      {kind === "event" ? (
        <Field label={t("p.timeout")}>
          <DurationInput label={t("p.timeout")} value={data.timeout}
                         onChange={(timeout) => onChange(timeout ? { ...data, timeout } : without(data, "timeout"))} />
        </Field>
      ) : null}
    </>
  );
}

function without(data: Data, ...keys: string[]): Data {
  const next = { ...data };
  for (const key of keys) delete next[key];
  return next;
}

function cleaned(block: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(block).filter(([, v]) =>
    v !== "" && v !== undefined && !(isObject(v) && Object.keys(v).length === 0)));
}

export function EdgePanel({ edge, sourceType, sourceLabel, targetLabel, onChange }: {
  edge: { id: string; source: string; target: string; sourceHandle?: string | null; data?: Data };
  sourceType: string; sourceLabel: string; targetLabel: string; onChange: (data: Data) => void;
}) {
  const { t } = useI18n();
  const { conditionFields, startForm } = useChoices();
  const data = edge.data ?? {};
  const branching = sourceType === "exclusive";
  const isDefault = data.default === true;
  return (
    <div className="fd-panel-body">
      <div className="fd-panel-title">
        <span className="fd-node-icon" aria-hidden="true">→</span>
        <div>
          <strong>{t("p.edge")}</strong> <span className="fd-muted">· <code>{edge.id}</code></span>
          <div className="fd-muted">{t("p.edgeFrom", { source: sourceLabel, target: targetLabel })}</div>
          {edge.sourceHandle ? <div className="fd-muted">{t("p.edgeHandle", { handle: t(`handle.${edge.sourceHandle}`) })}</div> : null}
        </div>
      </div>
      <LocalizedInput label={t("p.edgeLabel")} value={data.label as never}
                      onChange={(label) => onChange(Object.keys(label).length ? { ...data, label } : without(data, "label"))} />
      {branching ? (
        <>
          <label className="fd-check fd-default-check">
            <input type="checkbox" checked={isDefault}
                   onChange={(e) => onChange(e.target.checked ? { ...without(data, "when", "priority"), default: true } : without(data, "default"))} />
            {t("p.default")}
          </label>
          {!isDefault ? (
            <>
              <Field label={t("p.edgePriority")}>
                <input type="number" min={0} value={str(data.priority)}
                       onChange={(e) => onChange(e.target.value === "" ? without(data, "priority") : { ...data, priority: Math.floor(Number(e.target.value)) })} />
              </Field>
              <p className="fd-help">{startForm ? t("p.fieldsFrom", { form: startForm }) : t("p.noStartForm")}</p>
              <ConditionEditor label={t("p.when")} fields={conditionFields}
                               value={flattenCondition(data.when) as Record<string, unknown> | undefined}
                               onChange={(when) => onChange(when ? { ...data, when: nestCondition(when) } : without(data, "when"))} />
            </>
          ) : <p className="fd-help">{t("p.defaultNoCondition")}</p>}
        </>
      ) : null}
    </div>
  );
}

export { selectorText };
