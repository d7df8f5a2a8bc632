/**
 * The canvas: sections holding field cards, sortable by drag and drop (dnd-kit), with a
 * palette whose tiles can be dragged in. Every drag has a non-drag twin: palette tiles add
 * on click, and the selected card has move up / down, duplicate and delete buttons; cards are
 * also keyboard-sortable (Space to pick up, arrows, Space to drop).
 */
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  PointerSensor,
  closestCenter,
  pointerWithin,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type CollisionDetection,
  type DragEndEvent,
  type DragOverEvent,
  type DragStartEvent,
  type UniqueIdentifier,
} from "@dnd-kit/core";
import {
  SortableContext,
  sortableKeyboardCoordinates,
  useSortable,
  verticalListSortingStrategy,
} from "@dnd-kit/sortable";
import { CSS } from "@dnd-kit/utilities";
import { useState, type KeyboardEvent, type ReactNode } from "react";
import { localize, useI18n } from "../shared/i18n";
import { FIELD_TYPES, TYPES_BY_NAME } from "./fieldTypes";
import type { Field, Model, Section } from "./model";
import { FieldPreview } from "./FieldPreview";

export type Selection = { kind: "field"; id: string } | { kind: "section"; id: string } | null;

export interface CanvasProps {
  model: Model;
  selection: Selection;
  problemsByField: Map<string, number>;
  problemsBySection: Map<string, number>;
  onSelect: (selection: Selection) => void;
  onAdd: (type: string, sectionId?: string, index?: number) => void;
  onMove: (id: string, sectionId: string, index: number, group: string) => void;
  onStep: (id: string, step: -1 | 1) => void;
  onDuplicate: (id: string) => void;
  onRemove: (id: string) => void;
  onAddSection: () => void;
  onStepSection: (id: string, step: -1 | 1) => void;
  onRemoveSection: (id: string) => void;
}

const SECTION = "section:";
const NEW = "new:";

// Prefer the field card under the pointer, then the section under it, then the nearest.
const collisions: CollisionDetection = (args) => {
  const hits = pointerWithin(args);
  const cards = hits.filter((hit) => !String(hit.id).startsWith(SECTION));
  if (cards.length > 0) {
    return closestCenter({
      ...args,
      droppableContainers: args.droppableContainers.filter((c) => cards.some((h) => h.id === c.id)),
    });
  }
  return hits.length > 0 ? hits : closestCenter(args);
};

export function Canvas(props: CanvasProps) {
  const { model, onMove, onAdd } = props;
  const { t } = useI18n();
  const [active, setActive] = useState<string | null>(null);
  const [overId, setOverId] = useState<UniqueIdentifier | null>(null);
  const [dragGroup, setDragGroup] = useState("");
  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: sortableKeyboardCoordinates,
      keyboardCodes: { start: ["Space"], cancel: ["Escape"], end: ["Space", "Enter"] },
    }),
  );

  function containerOf(id: string): Section | undefined {
    if (id.startsWith(SECTION)) return model.sections.find((s) => s.id === id.slice(SECTION.length));
    return model.sections.find((section) => section.children.includes(id));
  }

  function dropIndex(section: Section, over: string): number {
    const index = section.children.indexOf(over);
    return index < 0 ? section.children.length : index;
  }

  function onDragStart(event: DragStartEvent) {
    setActive(String(event.active.id));
    setDragGroup(`drag-${Date.now()}`);
  }

  function onDragOver(event: DragOverEvent) {
    const over = event.over ? String(event.over.id) : null;
    setOverId(over);
    const id = String(event.active.id);
    if (!over || id.startsWith(NEW) || over === id) return;
    const from = containerOf(id);
    const to = containerOf(over);
    if (!from || !to || from.id === to.id) return;
    onMove(id, to.id, dropIndex(to, over), dragGroup);
  }

  function onDragEnd(event: DragEndEvent) {
    setActive(null);
    setOverId(null);
    const id = String(event.active.id);
    const over = event.over ? String(event.over.id) : null;
    if (!over) return;
    const to = containerOf(over);
    if (!to) return;
    if (id.startsWith(NEW)) {
      onAdd(id.slice(NEW.length), to.id, dropIndex(to, over));
      return;
    }
    if (over !== id) onMove(id, to.id, dropIndex(to, over), dragGroup);
  }

  const activeField = active && !active.startsWith(NEW) ? model.fields[active] : undefined;
  const activeType = active?.startsWith(NEW) ? active.slice(NEW.length) : undefined;

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={collisions}
      onDragStart={onDragStart}
      onDragOver={onDragOver}
      onDragEnd={onDragEnd}
      onDragCancel={() => {
        setActive(null);
        setOverId(null);
      }}
      accessibility={{
        screenReaderInstructions: { draggable: t("dnd.instructions") },
        announcements: {
          onDragStart: () => t("dnd.picked"),
          onDragOver: () => undefined,
          onDragEnd: ({ over }) => (over ? t("dnd.dropped") : t("dnd.cancelled")),
          onDragCancel: () => t("dnd.cancelled"),
        },
      }}
    >
      <div className="fd-body">
        <Palette onAdd={(type) => onAdd(type)} />
        <div className="fd-canvas" aria-label={t("canvas.label")} role="region">
          {model.sections.map((section, index) => (
            <SectionBox
              key={section.id}
              {...props}
              section={section}
              index={index}
              count={model.sections.length}
              insertBefore={active?.startsWith(NEW) ? overId : null}
            />
          ))}
          <button type="button" className="btn btn-secondary fd-add-section" onClick={props.onAddSection}>
            + {t("section.add")}
          </button>
        </div>
      </div>
      <DragOverlay dropAnimation={null}>
        {activeField ? (
          <div className="fd-card fd-card-overlay">
            <FieldPreview field={activeField} />
          </div>
        ) : activeType ? (
          <div className="fd-tile fd-tile-overlay">
            <span className="fd-icon" aria-hidden="true">
              {TYPES_BY_NAME[activeType]?.icon}
            </span>
            {t(`type.${activeType}`)}
          </div>
        ) : null}
      </DragOverlay>
    </DndContext>
  );
}

function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const { t } = useI18n();
  return (
    <nav className="fd-palette" aria-label={t("palette.label")}>
      <h2 className="fd-pane-title">{t("palette.title")}</h2>
      <p className="fd-hint">{t("palette.hint")}</p>
      {(["input", "choice", "other"] as const).map((group) => (
        <div key={group} className="fd-palette-group">
          <h3>{t(`palette.${group}`)}</h3>
          <ul>
            {FIELD_TYPES.filter((fieldType) => fieldType.group === group).map((fieldType) => (
              <li key={fieldType.type}>
                <PaletteTile type={fieldType.type} icon={fieldType.icon} onAdd={onAdd} />
              </li>
            ))}
          </ul>
        </div>
      ))}
    </nav>
  );
}

function PaletteTile({ type, icon, onAdd }: { type: string; icon: string; onAdd: (type: string) => void }) {
  const { t } = useI18n();
  const { attributes, listeners, setNodeRef, isDragging } = useDraggable({ id: `${NEW}${type}` });
  return (
    <button
      ref={setNodeRef}
      type="button"
      className={`fd-tile${isDragging ? " is-dragging" : ""}`}
      data-type={type}
      {...attributes}
      {...listeners}
      // The palette's keyboard path is a click (Enter/Space adds at the end), not a drag.
      onKeyDown={undefined}
      role="button"
      aria-roledescription={undefined}
      aria-describedby={undefined}
      aria-label={t("palette.add", { type: t(`type.${type}`) })}
      onClick={() => onAdd(type)}
    >
      <span className="fd-icon" aria-hidden="true">
        {icon}
      </span>
      {t(`type.${type}`)}
    </button>
  );
}

interface SectionBoxProps extends CanvasProps {
  section: Section;
  index: number;
  count: number;
  insertBefore: UniqueIdentifier | null;
}

function SectionBox(props: SectionBoxProps) {
  const { section, index, count, model, selection, onSelect, insertBefore } = props;
  const { t, lang } = useI18n();
  const { setNodeRef, isOver } = useDroppable({ id: `${SECTION}${section.id}` });
  const selected = selection?.kind === "section" && selection.id === section.id;
  const title = localize(section.title, lang);
  const problems = props.problemsBySection.get(section.id) ?? 0;
  return (
    <section
      ref={setNodeRef}
      className={`fd-section${selected ? " is-selected" : ""}${isOver ? " is-over" : ""}`}
      aria-label={title || t("section.untitled", { n: index + 1 })}
      data-section={section.id}
    >
      <div className="fd-section-head">
        <button
          type="button"
          className="fd-section-title"
          aria-pressed={selected}
          onClick={() => onSelect({ kind: "section", id: section.id })}
        >
          {title ? <span>{title}</span> : <span className="fd-muted">{t("section.untitled", { n: index + 1 })}</span>}
          {problems > 0 ? <span className="fd-problem-badge">{problems}</span> : null}
        </button>
        {count > 1 ? (
          <span className="fd-section-tools">
            <IconButton label={t("section.up")} disabled={index === 0} onClick={() => props.onStepSection(section.id, -1)}>
              ↑
            </IconButton>
            <IconButton label={t("section.down")} disabled={index === count - 1} onClick={() => props.onStepSection(section.id, 1)}>
              ↓
            </IconButton>
            <IconButton label={t("section.remove")} onClick={() => props.onRemoveSection(section.id)}>
              ×
            </IconButton>
          </span>
        ) : null}
      </div>
      {section.description ? <p className="fd-section-desc">{localize(section.description, lang)}</p> : null}
      <SortableContext items={section.children} strategy={verticalListSortingStrategy}>
        <ol className="fd-fields">
          {section.children.map((id) => {
            const field = model.fields[id];
            if (!field) return null;
            return (
              <FieldCard
                key={id}
                {...props}
                field={field}
                dropBefore={insertBefore === id}
                selected={selection?.kind === "field" && selection.id === id}
              />
            );
          })}
          {insertBefore === `${SECTION}${section.id}` ? <li className="fd-drop-line" aria-hidden="true" /> : null}
        </ol>
      </SortableContext>
      {section.children.length === 0 ? <p className="fd-empty">{t("section.empty")}</p> : null}
    </section>
  );
}

interface FieldCardProps extends SectionBoxProps {
  field: Field;
  selected: boolean;
  dropBefore: boolean;
}

function FieldCard(props: FieldCardProps) {
  const { field, selected, onSelect, dropBefore } = props;
  const { t, lang } = useI18n();
  const { attributes, listeners, setNodeRef, transform, transition, isDragging } = useSortable({
    id: field.id,
  });
  const problems = props.problemsByField.get(field.id) ?? 0;
  const style = { transform: CSS.Translate.toString(transform), transition };
  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    // Keys on the card's own buttons belong to those buttons.
    if (event.target !== event.currentTarget) return;
    if (event.key === "Enter") {
      event.preventDefault();
      onSelect({ kind: "field", id: field.id });
      return;
    }
    if (event.key === "Delete") {
      event.preventDefault();
      props.onRemove(field.id);
      return;
    }
    if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
      event.preventDefault();
      props.onStep(field.id, event.key === "ArrowUp" ? -1 : 1);
      return;
    }
    listeners?.onKeyDown?.(event);
  };
  return (
    <>
      {dropBefore ? <li className="fd-drop-line" aria-hidden="true" /> : null}
      <li
        ref={setNodeRef}
        style={style}
        className={`fd-card${selected ? " is-selected" : ""}${isDragging ? " is-dragging" : ""}${
          problems ? " has-problem" : ""
        }`}
        data-field={field.id}
        data-key={field.key}
        {...attributes}
        {...listeners}
        onKeyDown={onKeyDown}
        aria-roledescription={t("dnd.card")}
        aria-label={`${t(`type.${field.type}`)}: ${localize(field.label, lang) || field.key || field.id}`}
        aria-current={selected ? "true" : undefined}
        onClick={() => onSelect({ kind: "field", id: field.id })}
      >
        <FieldPreview field={field} />
        <div className="fd-card-meta">
          <span className="fd-type">
            <span aria-hidden="true">{TYPES_BY_NAME[field.type]?.icon ?? "?"}</span> {t(`type.${field.type}`)}
          </span>
          {field.key ? <code className="fd-key">{field.key}</code> : null}
          {field.visibleWhen ? <span className="fd-chip">{t("card.conditional")}</span> : null}
          {field.requiredWhen ? <span className="fd-chip">{t("card.requiredWhen")}</span> : null}
          {problems > 0 ? (
            <span className="fd-problem-badge" title={t("card.problems", { n: problems })}>
              {t("card.problems", { n: problems })}
            </span>
          ) : null}
        </div>
        {selected ? (
          <div className="fd-card-tools">
            <IconButton label={t("field.up")} onClick={() => props.onStep(field.id, -1)}>
              ↑
            </IconButton>
            <IconButton label={t("field.down")} onClick={() => props.onStep(field.id, 1)}>
              ↓
            </IconButton>
            <IconButton label={t("field.duplicate")} onClick={() => props.onDuplicate(field.id)}>
              ❐
            </IconButton>
            <IconButton label={t("field.remove")} onClick={() => props.onRemove(field.id)} danger>
              ✕
            </IconButton>
          </div>
        ) : null}
      </li>
    </>
  );
}

export function IconButton({
  label,
  onClick,
  children,
  disabled,
  danger,
}: {
  label: string;
  onClick: () => void;
  children: ReactNode;
  disabled?: boolean;
  danger?: boolean;
}) {
  return (
    <button
      type="button"
      className={`fd-icon-btn${danger ? " is-danger" : ""}`}
      aria-label={label}
      title={label}
      disabled={disabled}
      onPointerDown={(event) => event.stopPropagation()}
      onClick={(event) => {
        event.stopPropagation();
        onClick();
      }}
    >
      <span aria-hidden="true">{children}</span>
    </button>
  );
}
