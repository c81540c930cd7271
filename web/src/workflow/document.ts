// The workflow document as the API reads it (app/models/document.py), and the places its
// nested action lists live: the one vocabulary of the canvas, the edits and the errors.

export interface Variant {
  name: string;
  weight?: number;
  actions?: Action[];
  [key: string]: unknown;
}

export interface Branch {
  name: string;
  actions: Action[];
  [key: string]: unknown;
}

export interface Action {
  id?: string;
  type: string;
  name?: string;
  template?: string;
  delay?: number | string;
  data?: Record<string, unknown>;
  conditions?: unknown[];
  then?: Action[];
  else?: Action[];
  on_event?: Action[];
  on_timeout?: Action[];
  on_approve?: Action[];
  on_reject?: Action[];
  variants?: Variant[];
  actions?: Action[];
  branches?: Branch[];
  [key: string]: unknown;
}

export interface Trigger {
  type: string;
  conditions?: unknown[];
  cron?: string;
  interval?: number | string;
  timezone?: string;
  [key: string]: unknown;
}

export interface Position {
  x: number;
  y: number;
}

/** A document without its actions: what the trigger node holds. */
export interface DocumentHead {
  workflow_id: string;
  name: string;
  description?: string;
  trigger: Trigger;
  settings?: { compensation?: Action[]; send_window?: Record<string, unknown>; [key: string]: unknown };
  /** Kept with the version, ignored by the engine: where the Studio's nodes stand. */
  studio?: { positions?: Record<string, Position> };
  [key: string]: unknown;
}

export interface WorkflowDocument extends DocumentHead {
  actions: Action[];
}

/** The fields holding a branch's actions (a loop's `actions` aside, a field of other types too). */
export const ARM_LIST_FIELDS = ["then", "else", "on_event", "on_timeout", "on_approve", "on_reject"] as const;
export type ArmListField = (typeof ARM_LIST_FIELDS)[number];
/** The lists of actions nested in one action, by the field that holds them. */
export type ListField = ArmListField | "actions";

/** Where a list of actions lives: the top level, the compensation, or an arm of an action. */
export type ListKey = string;
export const ROOT: ListKey = "root";
export const COMPENSATION: ListKey = "compensation";

export interface Arm {
  /** The list's key: `<owner id>/then`, `<owner id>/variants/1`, ... */
  key: ListKey;
  label: string;
  actions: Action[];
}

const ARM_FIELDS: Record<string, ListField[]> = {
  condition: ["then", "else"],
  wait_for_event: ["on_event", "on_timeout"],
  approval: ["on_approve", "on_reject", "on_timeout"],
  loop: ["actions"],
};
const ARM_LABELS: Record<ListField, string> = {
  then: "then",
  else: "else",
  on_event: "on event",
  on_timeout: "on timeout",
  on_approve: "on approve",
  on_reject: "on reject",
  actions: "each item",
};

/** Action types that hold nested lists of actions. */
export const BRANCHING = new Set(["condition", "wait_for_event", "approval", "split", "loop", "parallel"]);
/** Action types that send a message (a send window holds them). */
export const MESSAGE_TYPES = new Set(["send_email", "send_sms", "send_push", "send_whatsapp"]);

/** The nested lists of an action, in order, each with its key and label. */
export function armsOf(action: Action): Arm[] {
  const owner = action.id ?? "";
  if (action.type === "split") {
    const total = (action.variants ?? []).reduce((sum, v) => sum + (v.weight ?? 1), 0) || 1;
    return (action.variants ?? []).map((variant, i) => ({
      key: `${owner}/variants/${i}`,
      label: `${variant.name} · ${Math.round(((variant.weight ?? 1) / total) * 100)} %`,
      actions: variant.actions ?? [],
    }));
  }
  if (action.type === "parallel") {
    return (action.branches ?? []).map((branch, i) => ({
      key: `${owner}/branches/${i}`,
      label: branch.name,
      actions: branch.actions ?? [],
    }));
  }
  return (ARM_FIELDS[action.type] ?? []).map((field) => ({
    key: `${owner}/${field}`,
    label: ARM_LABELS[field],
    actions: action[field] ?? [],
  }));
}

/** Every action, nested ones first-to-last, with the list it is in and its index there. */
export function walk(
  actions: Action[],
  list: ListKey = ROOT,
): { action: Action; list: ListKey; index: number }[] {
  return actions.flatMap((action, index) => [
    { action, list, index },
    ...armsOf(action).flatMap((arm) => walk(arm.actions, arm.key)),
  ]);
}

/** Every action of the document, compensation included. */
export function allActions(doc: WorkflowDocument) {
  return [...walk(doc.actions, ROOT), ...walk(doc.settings?.compensation ?? [], COMPENSATION)];
}

/** Seconds of a delay given as seconds or an ISO 8601 duration (PT5M, P1DT2H); null if unreadable. */
export function delaySeconds(delay: number | string | undefined): number | null {
  if (delay === undefined) return 0;
  if (typeof delay === "number") return delay;
  if (/^\d+(\.\d+)?$/.test(delay)) return Number(delay);
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(delay);
  if (!match || delay === "P" || delay.endsWith("T")) return null;
  const [, w, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return (w ?? 0) * 604800 + (d ?? 0) * 86400 + (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
}

/** A delay as a person reads it: "5 min", "1 d 2 h", or the text given when unreadable. */
export function describeDelay(delay: number | string | undefined): string {
  const seconds = delaySeconds(delay);
  if (seconds === null) return String(delay);
  const units: [number, string][] = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
  const parts: string[] = [];
  let rest = Math.round(seconds);
  for (const [size, name] of units) {
    if (rest >= size && parts.length < 2) {
      parts.push(`${Math.floor(rest / size)} ${name}`);
      rest %= size;
    }
  }
  return parts.join(" ") || "0 s";
}

/** Reads JSON with line and block comments, as the API does (the seed files have them). */
export function parseJsonc(text: string): unknown {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i] ?? "";
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2);
      if (i < 0) break;
      i++;
    } else {
      out += c;
    }
  }
  return JSON.parse(out);
}
