/**
 * Undo and redo over the designer's model: a reducer with past and future stacks.
 *
 * Typing into one box is one step, not one per key: changes tagged with the same `group`
 * within two seconds merge into the step before them.
 */
import type { Model } from "./model";

export interface History {
  present: Model;
  past: Model[];
  future: Model[];
  group: string | null;
  at: number;
}

export type HistoryAction =
  | { type: "change"; model: Model; group?: string; now?: number }
  | { type: "reset"; model: Model }
  | { type: "undo" }
  | { type: "redo" };

const LIMIT = 100;
const MERGE_MS = 2000;

export function initialHistory(model: Model): History {
  return { present: model, past: [], future: [], group: null, at: 0 };
}

export function historyReducer(state: History, action: HistoryAction): History {
  switch (action.type) {
    case "reset":
      return initialHistory(action.model);
    case "change": {
      if (action.model === state.present) return state;
      const now = action.now ?? Date.now();
      const merge =
        action.group !== undefined && action.group === state.group && now - state.at < MERGE_MS;
      return {
        present: action.model,
        past: merge ? state.past : [...state.past.slice(-LIMIT + 1), state.present],
        future: [],
        group: action.group ?? null,
        at: now,
      };
    }
    case "undo": {
      const previous = state.past[state.past.length - 1];
      if (!previous) return state;
      return {
        present: previous,
        past: state.past.slice(0, -1),
        future: [state.present, ...state.future],
        group: null,
        at: 0,
      };
    }
    case "redo": {
      const next = state.future[0];
      if (!next) return state;
      return {
        present: next,
        past: [...state.past, state.present],
        future: state.future.slice(1),
        group: null,
        at: 0,
      };
    }
  }
}
