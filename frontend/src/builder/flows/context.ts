/** What the designer's pieces share: people and forms to pick from, marks drawn on nodes. */
import { createContext, useContext } from "react";
import type { ConditionField } from "../shared/conditionRows";
import type { TicketStatus } from "./model";

export interface Directory {
  users: { email: string; name: string; role: string }[];
  teams: { key: string; name: string; leads: string[]; size: number }[];
  roles: string[];
}

export interface FormSummary {
  key: string;
  title: unknown;
  latest_version: number | null;
}

export interface Choices {
  directory: Directory;
  forms: FormSummary[];
  /** Fields of the start form (published version, else draft). */
  formFields: ConditionField[];
  /** Those fields plus `_ticket.x` and `_requester.x`, for branch conditions. */
  conditionFields: ConditionField[];
  startForm: string | null;
  /** Every ticket status (GET /api/v1/statuses), for the status pickers. */
  statuses: TicketStatus[];
}

export const EMPTY_CHOICES: Choices = {
  directory: { users: [], teams: [], roles: [] },
  forms: [],
  formFields: [],
  conditionFields: [],
  startForm: null,
  statuses: [],
};

export const ChoicesContext = createContext<Choices>(EMPTY_CHOICES);
export const useChoices = () => useContext(ChoicesContext);

export interface Marks {
  problems: Record<string, string[]>;
  /** Simulation: nodes on the path, and the reason given at each. */
  simPath: Set<string> | null;
  reasons: Record<string, string[]>;
}

export const MarksContext = createContext<Marks>({ problems: {}, simPath: null, reasons: {} });
export const useMarks = () => useContext(MarksContext);
