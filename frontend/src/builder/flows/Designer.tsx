/**
 * The flow designer: palette, canvas (@xyflow/react), property panel, simulation.
 *
 * The canvas state is the draft: every change is saved (debounced PUT with If-Match, so a
 * colleague's edit is never overwritten silently) and then checked (POST validate), and
 * each problem is drawn on the step or arrow its JSON pointer names. Publishing saves first.
 */
import {
  addEdge,
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useEdgesState,
  useNodesInitialized,
  useNodesState,
  useReactFlow,
  type Connection,
  type Edge,
  type Node,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { ApiError, seg, type Api } from "../shared/api";
import type { ConditionField } from "../shared/conditionRows";
import { errorMessage, localize, useI18n } from "../shared/i18n";
import { LocalizedInput } from "../shared/LocalizedInput";
import { CanvasNode } from "./CanvasNode";
import {
  ChoicesContext,
  MarksContext,
  type Choices,
  type Directory,
  type FormSummary,
  type Marks,
} from "./context";
import {
  autoLayout,
  canonicalJson,
  fieldsOf,
  freshId,
  isObject,
  NODE_SPECS,
  pathEdges,
  placeProblems,
  readDefinition,
  SPEC,
  toDefinition,
  type Data,
  type Definition,
  type ProblemLike,
  type TicketStatus,
} from "./model";
import { EdgePanel, NodePanel } from "./Panel";
import { SimulationPanel, type SimResult } from "./Simulation";

type Status = "loading" | "saved" | "dirty" | "saving" | "error" | "conflict";

interface FlowMeta {
  key: string;
  title: unknown;
  latest_version: number | null;
  form: string | null;
}

interface Toast {
  kind: "ok" | "error" | "info";
  text: string;
  id: number;
}

const NODE_TYPES = Object.fromEntries(NODE_SPECS.map((spec) => [spec.type, CanvasNode]));
const SAVE_DELAY = 700;

export function Designer({ api, flowKey }: { api: Api; flowKey: string }) {
  return (
    <ReactFlowProvider>
      <DesignerInner api={api} flowKey={flowKey} />
    </ReactFlowProvider>
  );
}

function DesignerInner({ api, flowKey }: { api: Api; flowKey: string }) {
  const { t, lang } = useI18n();
  const flow = useReactFlow();
  const [nodes, setNodes, onNodesChange] = useNodesState<Node>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [meta, setMeta] = useState<FlowMeta | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [status, setStatus] = useState<Status>("loading");
  const [saveError, setSaveError] = useState("");
  const [problems, setProblems] = useState<ProblemLike[] | null>(null);
  const [placedFor, setPlacedFor] = useState<Definition | null>(null);
  const [directory, setDirectory] = useState<Directory>({ users: [], teams: [], roles: [] });
  const [forms, setForms] = useState<FormSummary[]>([]);
  const [statuses, setStatuses] = useState<TicketStatus[]>([]);
  const [formFields, setFormFields] = useState<ConditionField[]>([]);
  const [panel, setPanel] = useState<"props" | "sim">("props");
  const [sim, setSim] = useState<SimResult | null>(null);
  const [toast, setToast] = useState<Toast | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [ghost, setGhost] = useState<{ type: string; x: number; y: number } | null>(null);
  const base = useRef<Definition>({ nodes: [], edges: [] });
  const etag = useRef<string | null>(null);
  const savedJson = useRef("");
  const chain = useRef<Promise<void>>(Promise.resolve());
  const timer = useRef<number | undefined>(undefined);
  const canvasRef = useRef<HTMLDivElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const added = useRef(0);

  // Fill the window below the site header, whatever its height (it wraps on narrow screens).
  useLayoutEffect(() => {
    const fit = () => {
      const root = rootRef.current;
      if (root) root.style.setProperty("--fd-top", `${root.getBoundingClientRect().top + window.scrollY}px`);
    };
    fit();
    window.addEventListener("resize", fit);
    return () => window.removeEventListener("resize", fit);
  });

  const notify = useCallback((kind: Toast["kind"], text: string) => {
    setToast({ kind, text, id: Date.now() });
  }, []);
  useEffect(() => {
    if (!toast) return;
    const handle = window.setTimeout(() => setToast(null), toast.kind === "error" ? 8000 : 4000);
    return () => window.clearTimeout(handle);
  }, [toast]);

  // --- load -------------------------------------------------------------------------------
  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const [info, draft, people, formList, statusList] = await Promise.all([
          api.get<FlowMeta>(`/api/v1/flows/${seg(flowKey)}`),
          api.request<unknown>("GET", `/api/v1/flows/${seg(flowKey)}/draft`),
          api.get<Directory>("/api/v1/directory"),
          api.get<FormSummary[]>("/api/v1/forms"),
          api.get<TicketStatus[]>("/api/v1/statuses"),
        ]);
        if (cancelled) return;
        const definition = readDefinition(draft.data);
        base.current = definition;
        etag.current = draft.etag;
        savedJson.current = canonicalJson(definition);
        setMeta(info);
        setDirectory(people);
        setForms(formList);
        setStatuses(statusList);
        setNodes(definition.nodes.map((n) => ({ id: n.id, type: n.type, position: n.position, data: n.data })));
        setEdges(definition.edges.map((e) => ({
          id: e.id, source: e.source, target: e.target, sourceHandle: e.sourceHandle ?? null,
          ...(e.data ? { data: e.data } : {}),
        })));
        setStatus("saved");
        void validate(definition);
      } catch (error) {
        if (!cancelled) setLoadError(errorMessage(t, error));
      }
    })();
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, flowKey]);

  // --- the start form's fields (for conditions, pickers and the simulation form) ----------
  const startNode = nodes.find((n) => n.type === "start");
  const startForm = startNode && startNode.data.trigger === "form.submitted" && typeof startNode.data.form === "string"
    && startNode.data.form ? startNode.data.form : null;
  useEffect(() => {
    if (!startForm) {
      setFormFields([]);
      return;
    }
    let cancelled = false;
    (async () => {
      try {
        const info = await api.get<{ latest_version: number | null }>(`/api/v1/forms/${seg(startForm)}`);
        const definition = info.latest_version
          ? (await api.get<{ definition: unknown }>(`/api/v1/forms/${seg(startForm)}/versions/${info.latest_version}`)).definition
          : await api.get<unknown>(`/api/v1/forms/${seg(startForm)}/draft`);
        if (!cancelled) setFormFields(fieldsOf(definition, lang));
      } catch {
        if (!cancelled) setFormFields([]);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [api, startForm, lang]);

  const choices: Choices = useMemo(() => ({
    directory,
    forms,
    formFields,
    startForm,
    statuses,
    conditionFields: [
      ...formFields,
      { key: "_ticket.priority", type: "select", label: t("f.ticketPriority"),
        options: ["low", "normal", "high", "urgent"].map((p) => ({ value: p, label: t(`prio.${p}`) })) },
      { key: "_ticket.channel", type: "select", label: t("f.ticketChannel"),
        options: ["web", "email", "api"].map((c) => ({ value: c, label: c })) },
      { key: "_requester.email", type: "email", label: t("f.requesterEmail") },
      { key: "_requester.role", type: "select", label: t("f.requesterRole"),
        options: directory.roles.map((r) => ({ value: r, label: r })) },
      { key: "_requester.level", type: "text", label: t("f.requesterLevel") },
    ],
  }), [directory, forms, formFields, startForm, statuses, t]);

  // --- save and check ---------------------------------------------------------------------
  const definition = useMemo(
    () => toDefinition(base.current, nodes as never, edges as never),
    [nodes, edges],
  );
  // Compared key-order blind: opening a draft written in another key order saves nothing.
  const json = useMemo(() => canonicalJson(definition), [definition]);
  const latest = useRef({ definition, json });
  latest.current = { definition, json };

  const validate = useCallback(async (checked: Definition) => {
    try {
      const answer = await api.post<{ valid: boolean; problems: ProblemLike[] }>(
        `/api/v1/flows/${seg(flowKey)}/validate`);
      setProblems(answer.problems);
      setPlacedFor(checked);
    } catch {
      // a failed check leaves the last problems shown; saving reports connection trouble
    }
  }, [api, flowKey]);

  const save = useCallback((): Promise<void> => {
    chain.current = chain.current.then(async () => {
      const { definition: sending, json: sendingJson } = latest.current;
      if (sendingJson === savedJson.current) return;
      setStatus("saving");
      try {
        const answer = await api.request<unknown>("PUT", `/api/v1/flows/${seg(flowKey)}/draft`, sending,
          etag.current ? { "If-Match": etag.current } : {});
        etag.current = answer.etag;
        savedJson.current = sendingJson;
        base.current = sending;
        setSaveError("");
        setStatus(latest.current.json === sendingJson ? "saved" : "dirty");
        await validate(sending);
      } catch (error) {
        const conflict = error instanceof ApiError && error.status === 409;
        setStatus(conflict ? "conflict" : "error");
        setSaveError(errorMessage(t, error));
        throw error;
      }
    });
    const result = chain.current;
    chain.current = chain.current.catch(() => undefined);
    return result;
  }, [api, flowKey, t, validate]);

  useEffect(() => {
    if (status === "loading" || status === "conflict") return;
    if (json === savedJson.current) return;
    setStatus((old) => (old === "saving" ? old : "dirty"));
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => void save().catch(() => undefined), SAVE_DELAY);
    return () => window.clearTimeout(timer.current);
  }, [json, status, save]);

  useEffect(() => {
    const warn = (event: BeforeUnloadEvent) => {
      if (latest.current.json !== savedJson.current) event.preventDefault();
    };
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, []);

  // The title lives on the flow row, whose revision is also the draft's ETag: renaming goes
  // through the same queue as draft saves and takes the new revision along.
  const saveTitle = useCallback((title: Record<string, string>) => {
    chain.current = chain.current.then(async () => {
      try {
        const answer = await api.request<{ revision: number; title: unknown }>(
          "PATCH", `/api/v1/flows/${seg(flowKey)}`, { title }, etag.current ? { "If-Match": etag.current } : {});
        etag.current = `"${answer.data.revision}"`;
        setMeta((old) => (old ? { ...old, title: answer.data.title } : old));
        notify("ok", t("d.titleSaved"));
      } catch (error) {
        notify("error", errorMessage(t, error));
      }
    });
  }, [api, flowKey, notify, t]);

  const flush = useCallback(async () => {
    window.clearTimeout(timer.current);
    await save();
  }, [save]);

  // A change made just before leaving is saved, not lost to the debounce.
  useEffect(() => {
    const hidden = () => {
      if (document.visibilityState === "hidden") void flush().catch(() => undefined);
    };
    document.addEventListener("visibilitychange", hidden);
    return () => document.removeEventListener("visibilitychange", hidden);
  }, [flush]);

  // --- first view: fit the flow, but never so small it cannot be read; then show its start
  const initialized = useNodesInitialized();
  const fitted = useRef(false);
  useEffect(() => {
    if (!initialized || fitted.current) return;
    fitted.current = true;
    void flow.fitView({ padding: 0.2, maxZoom: 1.1, minZoom: 0.6 }).then(() => {
      const viewport = flow.getViewport();
      const left = Math.min(...flow.getNodes().map((n) => n.position.x));
      if (Number.isFinite(left) && left * viewport.zoom + viewport.x < 16) {
        void flow.setViewport({ ...viewport, x: 40 - left * viewport.zoom });
      }
    });
  }, [initialized, flow]);

  // --- undo and redo: snapshots of the stored shape, taken when a change settles ------------
  const past = useRef<string[]>([]);
  const future = useRef<string[]>([]);
  const [, setHistoryTick] = useState(0);
  const dragging = nodes.some((n) => n.dragging);
  useEffect(() => {
    if (status === "loading" || dragging) return;
    if (past.current[past.current.length - 1] === json) return;
    past.current.push(json);
    if (past.current.length > 200) past.current.shift();
    future.current = [];
    setHistoryTick((n) => n + 1);
  }, [json, status, dragging]);

  const restore = useCallback((snapshot: string) => {
    const definition = readDefinition(JSON.parse(snapshot));
    setNodes(definition.nodes.map((n) => ({ id: n.id, type: n.type, position: n.position, data: n.data })));
    setEdges(definition.edges.map((e) => ({
      id: e.id, source: e.source, target: e.target, sourceHandle: e.sourceHandle ?? null,
      ...(e.data ? { data: e.data } : {}),
    })));
    setHistoryTick((n) => n + 1);
  }, [setNodes, setEdges]);

  const undo = useCallback(() => {
    if (past.current.length < 2) return;
    future.current.push(past.current.pop()!);
    restore(past.current[past.current.length - 1]);
  }, [restore]);

  const redo = useCallback(() => {
    const next = future.current.pop();
    if (next === undefined) return;
    past.current.push(next);
    restore(next);
  }, [restore]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable)) return;
      if (!(event.ctrlKey || event.metaKey)) return;
      const key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey) undo();
      else if (key === "y" || (key === "z" && event.shiftKey)) redo();
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [undo, redo]);

  // --- editing ----------------------------------------------------------------------------
  const addNode = useCallback((type: string, position?: { x: number; y: number }) => {
    const spec = SPEC[type];
    let at = position;
    if (!at) {
      const box = canvasRef.current?.getBoundingClientRect();
      const center = box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 400, y: 300 };
      at = flow.screenToFlowPosition(center);
      added.current = (added.current + 1) % 6;
      at = { x: at.x - 90 + added.current * 24, y: at.y - 30 + added.current * 24 };
    }
    setNodes((old) => {
      const id = freshId(type, old.map((n) => n.id));
      notify("info", t("d.added", { type: t(`node.${type}`), id }));
      return [...old.map((n) => ({ ...n, selected: false })),
        { id, type, position: at!, data: spec.defaults(), selected: true }];
    });
    setPanel("props");
  }, [flow, notify, setNodes, t]);

  const onConnect = useCallback((connection: Connection) => {
    setEdges((old) => {
      const source = flow.getNode(connection.source);
      const id = freshId("e", old.map((e) => e.id));
      let data: Data | undefined;
      if (source?.type === "exclusive") {
        const siblings = old.filter((e) => e.source === connection.source);
        const priorities = siblings.map((e) => Number((e.data as Data | undefined)?.priority ?? 0));
        data = siblings.length === 0 ? { default: true } : { priority: Math.max(0, ...priorities) + 1 };
      }
      return addEdge({ ...connection, id, ...(data ? { data } : {}) }, old);
    });
  }, [flow, setEdges]);

  const selectedNode = nodes.find((n) => n.selected);
  const selectedEdge = selectedNode ? undefined : edges.find((e) => e.selected);

  const updateNodeData = (id: string, data: Data) =>
    setNodes((old) => old.map((n) => (n.id === id ? { ...n, data } : n)));
  const updateEdgeData = (id: string, data: Data) =>
    setEdges((old) => old.map((e) => (e.id === id ? { ...e, data } : e)));

  const removeSelected = async () => {
    const doomedNodes = nodes.filter((n) => n.selected).map((n) => ({ id: n.id }));
    const doomedEdges = edges.filter((e) => e.selected).map((e) => ({ id: e.id }));
    if (!doomedNodes.length && !doomedEdges.length) return;
    await flow.deleteElements({ nodes: doomedNodes, edges: doomedEdges });
    notify("info", t("d.deleted"));
  };

  const tidy = () => {
    setNodes((old) => autoLayout(old, edges));
    window.setTimeout(() => void flow.fitView({ duration: 300, padding: 0.15 }), 50);
    notify("info", t("d.laidOut"));
  };

  const focusItem = (kind: "node" | "edge", id: string) => {
    setNodes((old) => old.map((n) => ({ ...n, selected: kind === "node" && n.id === id })));
    setEdges((old) => old.map((e) => ({ ...e, selected: kind === "edge" && e.id === id })));
    setPanel("props");
    if (kind === "node") void flow.fitView({ nodes: [{ id }], duration: 300, maxZoom: 1.2 });
  };

  async function publish() {
    setPublishing(true);
    try {
      await flush();
      const version = await api.post<{ number: number; form: string | null; replaced: string | null }>(
        `/api/v1/flows/${seg(flowKey)}/publish`);
      const same = meta?.latest_version === version.number;
      setMeta((old) => (old ? { ...old, latest_version: version.number, form: version.form } : old));
      if (same) notify("info", t("d.unchanged", { n: version.number }));
      else {
        const text = version.form ? t("d.publishedForm", { n: version.number, form: version.form })
          : t("d.published", { n: version.number });
        notify("ok", version.replaced ? `${text} ${t("d.publishedReplaced", { flow: version.replaced })}` : text);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.problems.length) {
        setProblems(error.problems);
        setPlacedFor(latest.current.definition);
        notify("error", t("d.cannotPublish", { n: error.problems.length }));
      } else {
        notify("error", errorMessage(t, error));
      }
    } finally {
      setPublishing(false);
    }
  }

  // --- palette drag (pointer events: works with mouse, pen and touch) ---------------------
  const dragged = useRef(false);
  function startDrag(type: string, event: React.PointerEvent) {
    if (event.button !== 0) return;
    const start = { x: event.clientX, y: event.clientY };
    dragged.current = false;
    const move = (e: PointerEvent) => {
      if (!dragged.current && Math.hypot(e.clientX - start.x, e.clientY - start.y) < 5) return;
      dragged.current = true;
      setGhost({ type, x: e.clientX, y: e.clientY });
    };
    const up = (e: PointerEvent) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      setGhost(null);
      if (!dragged.current) return;
      const box = canvasRef.current?.getBoundingClientRect();
      if (box && e.clientX >= box.left && e.clientX <= box.right && e.clientY >= box.top && e.clientY <= box.bottom) {
        const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
        addNode(type, { x: at.x - 90, y: at.y - 28 });
      }
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  // --- what is drawn ----------------------------------------------------------------------
  const placed = useMemo(
    () => (problems && placedFor ? placeProblems(placedFor, problems) : { nodes: {}, edges: {}, general: [] }),
    [problems, placedFor],
  );
  const walked = useMemo(() => (sim ? pathEdges(sim.path, edges) : null), [sim, edges]);
  const marks: Marks = useMemo(() => {
    const reasons: Record<string, string[]> = {};
    for (const step of sim?.steps ?? []) {
      if (step.reason) (reasons[step.node] ??= []).push(step.reason);
    }
    return { problems: placed.nodes, simPath: sim ? new Set(sim.path) : null, reasons };
  }, [placed, sim]);

  const drawnEdges = useMemo(() => edges.map((edge) => {
    const data = (edge.data ?? {}) as Data;
    const source = nodes.find((n) => n.id === edge.source);
    const isDefault = data.default === true;
    const branch = source?.type === "exclusive";
    const problem = placed.edges[edge.id];
    const lit = walked?.has(edge.id);
    const parts: string[] = [];
    const text = localize(data.label, lang);
    if (text) parts.push(text);
    else if (branch && isDefault) parts.push(t("d.otherwise"));
    else if (branch && isObject(data.when)) parts.push(t("d.conditionSet"));
    if (branch && !isDefault && typeof data.priority === "number") parts.unshift(`#${data.priority}`);
    if (branch && isDefault) parts.unshift("★");
    if (problem) parts.push(`⚠ ${problem[0]}`);
    const classes = [
      isDefault && branch ? "is-default" : "",
      problem ? "has-problem" : "",
      walked ? (lit ? "sim-on" : "sim-off") : "",
      edge.sourceHandle ? `handle-${edge.sourceHandle}` : "",
    ].filter(Boolean).join(" ");
    return {
      ...edge,
      label: parts.join(" · ") || undefined,
      className: classes,
      animated: Boolean(lit),
      markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
      labelBgPadding: [6, 3] as [number, number],
      labelBgBorderRadius: 4,
    };
  }), [edges, nodes, placed, walked, lang, t]);

  if (loadError) {
    return <div className="fd-loading fd-error" role="alert">{loadError}</div>;
  }

  const problemCount = problems?.length ?? 0;
  const statusText = status === "saving" ? t("d.saving") : status === "dirty" ? t("d.unsaved")
    : status === "saved" ? t("d.saved") : status === "loading" ? t("d.loading") : t("d.saveFailed", { detail: saveError });

  return (
    <ChoicesContext.Provider value={choices}>
      <MarksContext.Provider value={marks}>
        <div className="fd-root" ref={rootRef}>
          <header className="fd-toolbar">
            <a className="fd-back" href="/builder/flows"
               onClick={(event) => {
                 if (latest.current.json === savedJson.current) return;
                 event.preventDefault();
                 void flush().then(() => window.location.assign("/builder/flows"), () => undefined);
               }}>← {t("d.back")}</a>
            <div className="fd-title">
              <h1>{meta ? localize(meta.title, lang) || meta.key : flowKey}</h1>
              <span className="fd-muted">
                <code>{flowKey}</code> · {meta?.latest_version ? t("d.version", { n: meta.latest_version }) : t("d.neverPublished")}
                {meta?.form ? ` · ${t("d.servesForm", { form: meta.form })}` : ""}
              </span>
            </div>
            <span className={`fd-status fd-status-${status}`} role="status" data-testid="save-status">{statusText}</span>
            {status === "conflict" ? (
              <button type="button" className="btn btn-secondary btn-small" onClick={() => window.location.reload()}>
                {t("action.reload")}
              </button>
            ) : null}
            <div className="fd-tools">
              <button type="button" className="btn btn-quiet btn-small" onClick={undo} disabled={past.current.length < 2}
                      title={`${t("d.undo")} (Ctrl+Z)`}>↶ {t("d.undo")}</button>
              <button type="button" className="btn btn-quiet btn-small" onClick={redo} disabled={future.current.length === 0}
                      title={`${t("d.redo")} (Ctrl+Shift+Z)`}>↷ {t("d.redo")}</button>
              <button type="button" className="btn btn-quiet btn-small" onClick={tidy}>{t("d.layout")}</button>
              <button type="button" className={`btn btn-small fd-check-btn ${problemCount ? "has-problems" : "is-valid"}`}
                      onClick={() => { setPanel("props"); setNodes((o) => o.map((n) => ({ ...n, selected: false }))); setEdges((o) => o.map((e) => ({ ...e, selected: false }))); void flush().then(() => validate(base.current)).catch(() => undefined); }}
                      data-testid="problem-count">
                {problems === null ? t("d.validate") : problemCount ? `⚠ ${t("d.problems", { n: problemCount })}` : `✓ ${t("d.valid")}`}
              </button>
              <button type="button" className={`btn btn-secondary btn-small ${panel === "sim" ? "is-active" : ""}`}
                      onClick={() => setPanel(panel === "sim" ? "props" : "sim")} aria-pressed={panel === "sim"}>
                ▷ {t("d.simulate")}
              </button>
              <button type="button" className="btn btn-primary btn-small" onClick={publish} disabled={publishing || status === "conflict"}>
                {publishing ? t("d.publishing") : t("d.publish")}
              </button>
            </div>
          </header>
          <div className="fd-body">
            <aside className="fd-palette" aria-label={t("d.palette")}>
              <h2>{t("d.palette")}</h2>
              <p className="fd-help">{t("d.paletteHelp")}</p>
              <ul>
                {NODE_SPECS.map((spec) => (
                  <li key={spec.type}>
                    <button type="button" className="fd-palette-item" data-type={spec.type}
                            style={{ "--accent": spec.color } as React.CSSProperties}
                            onPointerDown={(e) => startDrag(spec.type, e)}
                            onClick={() => { if (!dragged.current) addNode(spec.type); dragged.current = false; }}>
                      <span className="fd-node-icon" aria-hidden="true">{spec.icon}</span>
                      <span className="fd-palette-text">
                        <strong>{t(`node.${spec.type}`)}</strong>
                        <small>{t(`nodeHelp.${spec.type}`)}</small>
                      </span>
                    </button>
                  </li>
                ))}
              </ul>
            </aside>
            <div className="fd-canvas" ref={canvasRef} aria-label={t("d.canvas")}>
              {status === "loading" ? <div className="fd-loading">{t("d.loading")}</div> : (
                <ReactFlow
                  nodes={nodes}
                  edges={drawnEdges}
                  nodeTypes={NODE_TYPES}
                  onNodesChange={onNodesChange}
                  onEdgesChange={onEdgesChange}
                  onConnect={onConnect}
                  isValidConnection={(c) => c.source !== c.target}
                  deleteKeyCode={["Delete", "Backspace"]}
                  minZoom={0.2}
                  maxZoom={2}
                  defaultEdgeOptions={{ type: "smoothstep" }}
                  proOptions={{ hideAttribution: true }}
                >
                  <Background gap={20} size={1} />
                  <Controls showInteractive={false} />
                  <MiniMap pannable zoomable nodeColor={(n) => SPEC[n.type ?? ""]?.color ?? "#999"} />
                </ReactFlow>
              )}
            </div>
            <aside className="fd-panel" aria-label={panel === "sim" ? t("s.title") : t("d.properties")}>
              {panel === "sim" ? (
                <SimulationPanel api={api} flowKey={flowKey} nodes={definition.nodes} result={sim}
                                 beforeRun={flush} onResult={setSim} onClose={() => { setPanel("props"); setSim(null); }} />
              ) : selectedNode ? (
                <>
                  <NodePanel key={selectedNode.id} id={selectedNode.id} type={selectedNode.type ?? "action"}
                             data={selectedNode.data as Data} nodes={nodes as never} edges={edges as never}
                             onSelectEdge={(edgeId) => focusItem("edge", edgeId)}
                             onAddEdge={(target, handle) => onConnect({ source: selectedNode.id, target, sourceHandle: handle, targetHandle: null })}
                             onChange={(data) => updateNodeData(selectedNode.id, data)} />
                  <ItemProblems list={placed.nodes[selectedNode.id]} />
                  <div className="fd-panel-foot">
                    <button type="button" className="btn btn-danger btn-small" onClick={removeSelected}>{t("d.delete")}</button>
                  </div>
                </>
              ) : selectedEdge ? (
                <>
                  <EdgePanel key={selectedEdge.id} edge={selectedEdge as never}
                             sourceType={nodes.find((n) => n.id === selectedEdge.source)?.type ?? ""}
                             sourceLabel={nodeName(nodes, selectedEdge.source, lang)}
                             targetLabel={nodeName(nodes, selectedEdge.target, lang)}
                             onChange={(data) => updateEdgeData(selectedEdge.id, data)} />
                  <ItemProblems list={placed.edges[selectedEdge.id]} />
                  <div className="fd-panel-foot">
                    <button type="button" className="btn btn-danger btn-small" onClick={removeSelected}>{t("d.delete")}</button>
                  </div>
                </>
              ) : (
                <div className="fd-panel-body">
                  <h2>{t("d.properties")}</h2>
                  {meta ? <TitleEditor value={meta.title} save={saveTitle} /> : null}
                  <p className="fd-help">{t("d.nothingSelected")}</p>
                  <p className="fd-help">{t("d.keyboard")}</p>
                  <h3>{t("d.problemsTitle")}</h3>
                  {problems && problems.length === 0 ? <p className="fd-ok">✓ {t("d.noProblems")}</p> : null}
                  <ul className="fd-problems">
                    {(problems ?? []).map((problem, index) => {
                      const [, collection, at] = problem.pointer.split("/");
                      const item = placedFor ? (collection === "nodes" ? placedFor.nodes : collection === "edges" ? placedFor.edges : [])[Number(at)] : undefined;
                      return (
                        <li key={index}>
                          {item ? (
                            <button type="button" className="fd-link" onClick={() => focusItem(collection === "nodes" ? "node" : "edge", item.id)}>
                              {collection === "nodes" ? nodeName(nodes, item.id, lang)
                                : `${nodeName(nodes, (item as { source: string }).source, lang)} → ${nodeName(nodes, (item as { target: string }).target, lang)}`}
                            </button>
                          ) : null}
                          <span>{problem.message}</span>
                        </li>
                      );
                    })}
                  </ul>
                </div>
              )}
            </aside>
          </div>
          {ghost ? (
            <div className="fd-ghost" style={{ left: ghost.x, top: ghost.y, "--accent": SPEC[ghost.type].color } as React.CSSProperties}>
              {SPEC[ghost.type].icon} {t(`node.${ghost.type}`)}
            </div>
          ) : null}
          <div className="fd-toast-area" aria-live="polite">
            {toast ? <div key={toast.id} className={`fd-toast fd-toast-${toast.kind}`} role={toast.kind === "error" ? "alert" : "status"}>{toast.text}</div> : null}
          </div>
        </div>
      </MarksContext.Provider>
    </ChoicesContext.Provider>
  );
}

/** The flow's title, saved (PATCH) a moment after typing stops. */
function TitleEditor({ value, save }: {
  value: unknown; save: (title: Record<string, string>) => void;
}) {
  const { t } = useI18n();
  const [title, setTitle] = useState<Record<string, string>>(
    (isObject(value) ? value : typeof value === "string" ? { en: value } : {}) as Record<string, string>);
  const pending = useRef<number | undefined>(undefined);
  const change = (next: Record<string, string>) => {
    setTitle(next);
    window.clearTimeout(pending.current);
    if (!Object.values(next).some((text) => text.trim())) return;
    pending.current = window.setTimeout(() => save(next), 800);
  };
  useEffect(() => () => window.clearTimeout(pending.current), []);
  return <LocalizedInput label={t("d.flowTitle")} value={title} onChange={change} />;
}

function ItemProblems({ list }: { list: string[] | undefined }) {
  const { t } = useI18n();
  if (!list?.length) return null;
  return (
    <div className="fd-item-problems" role="alert">
      <strong>{t("d.problemsTitle")}</strong>
      <ul>{list.map((message, index) => <li key={index}>{message}</li>)}</ul>
    </div>
  );
}

function nodeName(nodes: Node[], id: string, lang: "en" | "zh-CN"): string {
  const node = nodes.find((n) => n.id === id);
  return (node && localize((node.data as Data).label, lang)) || id;
}
