/**
 * The form designer for one form: palette, canvas and inspector around a model of the
 * draft, with undo, autosave (If-Match against the form's revision, so two designers
 * never overwrite each other silently), the server's check, publishing, a live preview drawn
 * by the server's own form renderer, and the version history with its diff.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import { ApiError, seg, type Api, type ProblemItem } from "../shared/api";
import { LocalizedInput } from "../shared/LocalizedInput";
import { errorMessage, localize, translator, useI18n } from "../shared/i18n";
import { Canvas, type Selection } from "./Canvas";
import { historyReducer, initialHistory } from "./history";
import { FieldInspector, SectionInspector, Row } from "./Inspector";
import {
  addSection,
  allIds,
  allKeys,
  conditionFields,
  dependents,
  duplicateField,
  fromDefinition,
  insertField,
  locate,
  moveField,
  newField,
  orderedFields,
  problemTarget,
  removeField,
  removeSection,
  stepField,
  stepSection,
  toDefinition,
  updateField,
  updateSection,
  type Definition,
  type Model,
} from "./model";
import { MESSAGES } from "./messages";
import { History } from "./History";
import { Preview } from "./Preview";

export interface FormInfo {
  key: string;
  title: unknown;
  archived: boolean;
  revision: number;
  latest_version: number | null;
  flow: { key: string; version: number } | null;
  draft_changed?: boolean;
}

interface Version {
  number: number;
  hash: string;
  published_at: string;
}

type SaveState = "saved" | "dirty" | "saving" | "error";
type Notice = { kind: "success" | "error" | "info"; text: string } | null;

const AUTOSAVE_MS = 1500;

type View = "edit" | "preview" | "history";

export function Designer({ api, formKey, csrf }: { api: Api; formKey: string; csrf: string }) {
  const { t, lang } = useI18n();
  const [info, setInfo] = useState<FormInfo | null>(null);
  const [loadError, setLoadError] = useState<string>("");
  const [history, dispatch] = useReducer(historyReducer, undefined, () => initialHistory(fromDefinition({})));
  const model = history.present;
  const [selection, setSelection] = useState<Selection>(null);
  const [saveState, setSaveState] = useState<SaveState>("saved");
  const [notice, setNotice] = useState<Notice>(null);
  const [problems, setProblems] = useState<ProblemItem[] | null>(null);
  const [checked, setChecked] = useState<Definition | null>(null);
  const [busy, setBusy] = useState<"" | "check" | "publish">("");
  const [view, setView] = useState<View>("edit");
  const [autoKeys, setAutoKeys] = useState<Set<string>>(new Set());
  const revision = useRef<string | null>(null);
  const savedJson = useRef<string>("");
  const saving = useRef<Promise<boolean>>(Promise.resolve(true));
  const conflict = useRef(false);

  const load = useCallback(async () => {
    setLoadError("");
    try {
      const [form, draft] = await Promise.all([
        api.get<FormInfo>(`/api/v1/forms/${seg(formKey)}`),
        api.request<unknown>("GET", `/api/v1/forms/${seg(formKey)}/draft`),
      ]);
      const loaded = fromDefinition(draft.data);
      revision.current = draft.etag;
      savedJson.current = JSON.stringify(toDefinition(loaded));
      conflict.current = false;
      setInfo(form);
      dispatch({ type: "reset", model: loaded });
      setSaveState("saved");
      setSelection(null);
    } catch (error) {
      setLoadError(errorMessage(t, error));
    }
  }, [api, formKey, t]);

  useEffect(() => {
    void load();
  }, [load]);

  const definition = useMemo(() => toDefinition(model), [model]);
  const json = useMemo(() => JSON.stringify(definition), [definition]);
  const dirty = info !== null && json !== savedJson.current;

  /** Save the draft if it changed; resolves true when the server holds what we show. */
  const save = useCallback((): Promise<boolean> => {
    const run = async (): Promise<boolean> => {
      const body = definition;
      const text = JSON.stringify(body);
      if (text === savedJson.current) return true;
      if (conflict.current) return false;
      setSaveState("saving");
      try {
        const headers: Record<string, string> = revision.current ? { "If-Match": revision.current } : {};
        const response = await api.request<unknown>("PUT", `/api/v1/forms/${seg(formKey)}/draft`, body, headers);
        revision.current = response.etag;
        savedJson.current = text;
        setSaveState("saved");
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) conflict.current = true;
        setSaveState("error");
        setNotice({ kind: "error", text: errorMessage(t, error) });
        return false;
      }
    };
    saving.current = saving.current.then(run, run);
    return saving.current;
  }, [api, definition, formKey, t]);

  // Autosave shortly after the last change.
  useEffect(() => {
    if (!dirty) return;
    setSaveState((state) => (state === "saving" ? state : "dirty"));
    const timer = window.setTimeout(() => void save(), AUTOSAVE_MS);
    return () => window.clearTimeout(timer);
  }, [dirty, json, save]);

  // Save when the tab is hidden (switching away, closing on mobile).
  useEffect(() => {
    if (!dirty) return;
    const flush = () => {
      if (document.visibilityState === "hidden") void save();
    };
    document.addEventListener("visibilitychange", flush);
    return () => document.removeEventListener("visibilitychange", flush);
  }, [dirty, save]);

  // Warn before leaving with unsaved changes.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const change = useCallback((next: Model, group?: string) => dispatch({ type: "change", model: next, group }), []);

  // Keyboard shortcuts: undo, redo, save.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!(event.ctrlKey || event.metaKey)) return;
      const key = event.key.toLowerCase();
      const inText = event.target instanceof HTMLElement && event.target.closest("input, textarea, select");
      if (key === "s") {
        event.preventDefault();
        void save();
      } else if (key === "z" && !inText) {
        event.preventDefault();
        dispatch({ type: event.shiftKey ? "redo" : "undo" });
      } else if (key === "y" && !inText) {
        event.preventDefault();
        dispatch({ type: "redo" });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [save]);

  const check = async () => {
    setBusy("check");
    setNotice(null);
    try {
      if (!(await save())) return;
      const sent = definition;
      const result = await api.post<{ valid: boolean; problems: ProblemItem[] }>(`/api/v1/forms/${seg(formKey)}/validate`);
      setChecked(sent);
      setProblems(result.problems);
      setNotice(
        result.valid
          ? { kind: "success", text: t("check.ok") }
          : { kind: "error", text: t("check.problems", { n: result.problems.length }) },
      );
    } catch (error) {
      setNotice({ kind: "error", text: errorMessage(t, error) });
    } finally {
      setBusy("");
    }
  };

  const publish = async () => {
    setBusy("publish");
    setNotice(null);
    try {
      if (!(await save())) return;
      const sent = definition;
      const response = await api.request<Version>("POST", `/api/v1/forms/${seg(formKey)}/publish`, {});
      setProblems([]);
      setChecked(sent);
      setNotice({
        kind: "success",
        text:
          response.status === 201
            ? t("publish.done", { n: response.data.number })
            : t("publish.unchanged", { n: response.data.number }),
      });
      setInfo((old) => (old ? { ...old, latest_version: response.data.number, draft_changed: false } : old));
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.problems.length) {
        setChecked(definition);
        setProblems(error.problems);
        setNotice({ kind: "error", text: t("publish.problems", { n: error.problems.length }) });
      } else {
        setNotice({ kind: "error", text: errorMessage(t, error) });
      }
    } finally {
      setBusy("");
    }
  };

  // Problems located on fields and sections (pointers are against the checked definition).
  const located = useMemo(() => {
    const byField = new Map<string, ProblemItem[]>();
    const bySection = new Map<string, ProblemItem[]>();
    const form: ProblemItem[] = [];
    if (problems && checked) {
      for (const problem of problems) {
        const target = problemTarget(checked, problem.pointer);
        const map = target.kind === "field" ? byField : target.kind === "section" ? bySection : null;
        if (map && "id" in target) map.set(target.id, [...(map.get(target.id) ?? []), problem]);
        else form.push(problem);
      }
    }
    return { byField, bySection, form };
  }, [problems, checked]);

  const counts = (map: Map<string, ProblemItem[]>) => new Map([...map].map(([id, list]) => [id, list.length]));

  const addField = (type: string, sectionId?: string, index?: number) => {
    const label = { en: translatorFor("en")(`type.${type}`), "zh-CN": translatorFor("zh-CN")(`type.${type}`) };
    const field = newField(model, type, label);
    let target = sectionId;
    let at = index;
    if (target === undefined) {
      const where = selection?.kind === "field" ? locate(model, selection.id) : null;
      if (where) {
        target = model.sections[where.section].id;
        at = where.index + 1;
      } else if (selection?.kind === "section") {
        target = selection.id;
      } else {
        target = model.sections[model.sections.length - 1].id;
      }
    }
    change(insertField(model, field, target, at));
    setAutoKeys((keys) => new Set(keys).add(field.id));
    setSelection({ kind: "field", id: field.id });
  };

  const remove = (id: string) => {
    const field = model.fields[id];
    const users = field?.key ? dependents(model, field.key).filter((other) => other.id !== id) : [];
    if (users.length > 0) {
      const names = users.map((other) => localize(other.label, lang) || other.key || other.id).join(", ");
      if (!window.confirm(t("field.removeUsed", { names }))) return;
    }
    change(removeField(model, id));
    if (selection?.kind === "field" && selection.id === id) setSelection(null);
  };

  if (loadError) {
    return (
      <div className="fd-load-error" role="alert">
        <p>{loadError}</p>
        <button type="button" className="btn btn-secondary" onClick={() => void load()}>
          {t("action.retry")}
        </button>{" "}
        <a href="/builder/forms">{t("designer.back")}</a>
      </div>
    );
  }
  if (!info) return <p className="fd-loading">{t("designer.loading")}</p>;

  const selectedField = selection?.kind === "field" ? model.fields[selection.id] : undefined;
  const selectedSection = selection?.kind === "section" ? model.sections.find((s) => s.id === selection.id) : undefined;
  const title = localize(model.head.title, lang) || formKey;

  return (
    <div className="fd">
      <header className="fd-bar">
        <div className="fd-bar-title">
          <a
            href="/builder/forms"
            className="fd-back"
            onClick={(event) => {
              if (!dirty) return;
              // Save before leaving rather than asking: the server holds the draft.
              event.preventDefault();
              void save().then((saved) => {
                if (saved) window.location.assign("/builder/forms");
              });
            }}
          >
            ← {t("designer.back")}
          </a>
          <h1>{title}</h1>
          <span className="fd-status">
            {info.latest_version ? t("designer.published", { n: info.latest_version }) : t("designer.neverPublished")}
            {info.flow ? ` · ${t("designer.flow", { key: info.flow.key, n: info.flow.version })}` : ""}
          </span>
        </div>
        <div className="fd-bar-tools">
          <span className={`fd-save fd-save-${dirty && saveState === "saved" ? "dirty" : saveState}`} role="status" aria-live="polite">
            {t(`save.${dirty && saveState === "saved" ? "dirty" : saveState}`)}
          </span>
          {conflict.current ? (
            <button type="button" className="btn btn-secondary btn-small" onClick={() => void load()}>
              {t("action.reload")}
            </button>
          ) : null}
          <button type="button" className="btn btn-quiet btn-small" disabled={history.past.length === 0}
            onClick={() => dispatch({ type: "undo" })} title={t("action.undoKey")}>
            ↶ {t("action.undo")}
          </button>
          <button type="button" className="btn btn-quiet btn-small" disabled={history.future.length === 0}
            onClick={() => dispatch({ type: "redo" })} title={t("action.redoKey")}>
            ↷ {t("action.redo")}
          </button>
          {view !== "edit" ? (
            <button type="button" className="btn btn-secondary btn-small" onClick={() => setView("edit")}>
              {t("action.edit")}
            </button>
          ) : null}
          <button type="button" className="btn btn-secondary btn-small" aria-pressed={view === "preview"} onClick={() => setView(view === "preview" ? "edit" : "preview")}>
            {t("action.preview")}
          </button>
          <button type="button" className="btn btn-secondary btn-small" aria-pressed={view === "history"} onClick={() => setView(view === "history" ? "edit" : "history")}>
            {t("action.history")}
          </button>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void save()} disabled={!dirty}>
            {t("action.save")}
          </button>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void check()} disabled={busy !== ""}>
            {busy === "check" ? t("action.checking") : t("action.check")}
          </button>
          <button type="button" className="btn btn-primary btn-small" onClick={() => void publish()} disabled={busy !== ""}>
            {busy === "publish" ? t("action.publishing") : t("action.publish")}
          </button>
        </div>
      </header>
      {notice ? (
        <div className={`fd-notice fd-notice-${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"}>
          <span>{notice.text}</span>
          {notice.kind === "success" && info.latest_version ? (
            <a href={`/portal/forms/${seg(formKey)}`} target="_blank" rel="noopener">
              {t("designer.open")}
            </a>
          ) : null}
          <button type="button" className="fd-icon-btn" aria-label={t("action.dismiss")} onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      ) : null}
      {problems && problems.length > 0 ? (
        <details className="fd-problems" open>
          <summary>{t("check.list", { n: problems.length })}</summary>
          <ul>
            {problems.map((problem, index) => {
              const target = checked ? problemTarget(checked, problem.pointer) : { kind: "form" as const, rest: "" };
              const field = target.kind === "field" ? model.fields[target.id] : undefined;
              const name =
                target.kind === "field"
                  ? localize(field?.label, lang) || field?.key || target.id
                  : target.kind === "section"
                    ? t("check.section")
                    : t("check.form");
              return (
                <li key={index}>
                  <button
                    type="button"
                    className="fd-problem-link"
                    onClick={() => {
                      setView("edit");
                      if (target.kind === "field" && model.fields[target.id]) setSelection({ kind: "field", id: target.id });
                      else if (target.kind === "section") setSelection({ kind: "section", id: target.id });
                      else setSelection(null);
                    }}
                  >
                    <strong>{name}</strong>: {problem.message}
                  </button>
                  <code className="fd-pointer">{problem.pointer}</code>
                </li>
              );
            })}
          </ul>
        </details>
      ) : null}
      {view === "preview" ? (
        <Preview formKey={formKey} definition={definition} csrf={csrf} />
      ) : view === "history" ? (
        <History api={api} formKey={formKey} draft={definition} latest={info.latest_version} />
      ) : (
        <div className="fd-main">
          <Canvas
            model={model}
            selection={selection}
            problemsByField={counts(located.byField)}
            problemsBySection={counts(located.bySection)}
            onSelect={setSelection}
            onAdd={addField}
            onMove={(id, sectionId, index, group) => change(moveField(model, id, sectionId, index), group)}
            onStep={(id, step) => change(stepField(model, id, step))}
            onDuplicate={(id) => {
              const result = duplicateField(model, id);
              change(result.model);
              setSelection({ kind: "field", id: result.id });
            }}
            onRemove={remove}
            onAddSection={() => {
              const result = addSection(model, { en: translatorFor("en")("section.new"), "zh-CN": translatorFor("zh-CN")("section.new") });
              change(result.model);
              setSelection({ kind: "section", id: result.id });
            }}
            onStepSection={(id, step) => change(stepSection(model, id, step))}
            onRemoveSection={(id) => {
              change(removeSection(model, id));
              if (selection?.kind === "section" && selection.id === id) setSelection(null);
            }}
          />
          <aside className="fd-inspector" aria-label={t("insp.label")}>
            {selectedField ? (
              <>
                <div className="insp-head">
                  <h2 className="fd-pane-title">{t("insp.field", { type: t(`type.${selectedField.type}`) })}</h2>
                  <button type="button" className="btn btn-quiet btn-small" onClick={() => setSelection(null)}>
                    {t("insp.formSettings")}
                  </button>
                </div>
                <FieldInspector
                  key={selectedField.id}
                  field={selectedField}
                  onChange={(patch, group) => change(updateField(model, selectedField.id, patch), group)}
                  siblingKeys={new Set([...allKeys(model)].filter((key) => key !== selectedField.key || countKey(model, key) > 1))}
                  takenIds={allIds(model)}
                  autoKey={autoKeys.has(selectedField.id)}
                  onKeyEdited={() =>
                    setAutoKeys((keys) => {
                      const next = new Set(keys);
                      next.delete(selectedField.id);
                      return next;
                    })
                  }
                  conditionFields={conditionFields(model, lang, selectedField.id)}
                  problems={located.byField.get(selectedField.id) ?? []}
                />
              </>
            ) : selectedSection ? (
              <>
                <div className="insp-head">
                  <h2 className="fd-pane-title">{t("insp.section")}</h2>
                  <button type="button" className="btn btn-quiet btn-small" onClick={() => setSelection(null)}>
                    {t("insp.formSettings")}
                  </button>
                </div>
                <SectionInspector section={selectedSection} onChange={(patch, group) => change(updateSection(model, selectedSection.id, patch), group)} />
              </>
            ) : (
              <FormSettings model={model} formKey={formKey} onChange={change} problems={located.form} />
            )}
          </aside>
        </div>
      )}
    </div>
  );
}

function countKey(model: Model, key: string): number {
  return Object.values(model.fields).filter((field) => field.key === key).length;
}

function FormSettings({
  model,
  formKey,
  onChange,
  problems,
}: {
  model: Model;
  formKey: string;
  onChange: (model: Model, group?: string) => void;
  problems: ProblemItem[];
}) {
  const { t, lang } = useI18n();
  const setHead = (patch: Record<string, unknown>, group?: string) => {
    const head: Record<string, unknown> = { ...model.head };
    for (const [name, value] of Object.entries(patch)) {
      if (value === undefined || value === "") delete head[name];
      else head[name] = value;
    }
    onChange({ ...model, head: head as Model["head"] }, group);
  };
  const subjects = orderedFields(model).filter((field) => field.key && ["text", "textarea", "select", "radio", "email"].includes(field.type));
  return (
    <>
      <h2 className="fd-pane-title">{t("insp.form")}</h2>
      <div className="insp-body">
        {problems.length > 0 ? (
          <ul className="insp-problems">
            {problems.map((problem, index) => (
              <li key={index}>{problem.message}</li>
            ))}
          </ul>
        ) : null}
        <LocalizedInput label={t("insp.formTitle")} value={model.head.title} required onChange={(title) => setHead({ title }, "title")} />
        <LocalizedInput
          label={t("insp.formDescription")}
          value={model.head.description}
          multiline
          onChange={(description) => setHead({ description: Object.keys(description).length ? description : undefined }, "description")}
        />
        <Row label={t("insp.subject")} hint={t("insp.subjectHint")}>
          {(id) => (
            <select id={id} value={model.head.subjectField ?? ""} onChange={(event) => setHead({ subjectField: event.target.value })}>
              <option value="">{t("insp.subjectNone")}</option>
              {subjects.map((field) => (
                <option key={field.id} value={field.key}>
                  {localize(field.label, lang) || field.key}
                </option>
              ))}
            </select>
          )}
        </Row>
        <Row label={t("insp.formKey")} hint={t("insp.formKeyHint")}>
          {(id) => <input id={id} className="code" value={formKey} readOnly />}
        </Row>
        <p>
          <a href={`/api/v1/forms/${seg(formKey)}/export`} download={`${formKey}.form.json`}>
            {t("insp.export")}
          </a>
        </p>
        <p className="fd-hint">{t("insp.shortcuts")}</p>
      </div>
    </>
  );
}

// New fields get labels in both languages whatever the page language.
function translatorFor(lang: "en" | "zh-CN") {
  return translator(MESSAGES, lang);
}
