// A dry run's trace (or a run's steps) as the state of each node on the canvas.
import type { StepState } from "../components/canvas/nodeData";

export interface TraceEntry {
  at?: number;
  step_id?: string;
  type?: string;
  status?: string;
  wait_seconds?: number;
  reason?: string;
  input?: unknown;
  output?: unknown;
  error?: { message?: string } | null;
}

const STATES: Record<string, StepState> = {
  completed: "completed",
  failed: "failed",
  // A dry run's step that would fail now (a missing template, secret or provider).
  would_fail: "failed",
  skipped: "skipped",
  // Failed, and waits for its next attempt: not running.
  retrying: "retrying",
  // An at_most_once call that may or may not have been made: the run's error handling
  // treats it as a failure.
  unknown: "failed",
  running: "running",
  waiting: "waiting",
};

/** Node id → the state of its last step in the trace (a loop's body runs many times). */
export function traceStates(trace: TraceEntry[]): Map<string, StepState> {
  const states = new Map<string, StepState>();
  states.set("trigger", "completed");
  for (const entry of trace) {
    if (entry.step_id && entry.status) states.set(entry.step_id, STATES[entry.status] ?? "completed");
  }
  return states;
}

/** What a message step would send, as a dry run's step output holds it (`message`). */
interface DraftedMessage {
  to?: string | string[];
  subject?: string | null;
  title?: string;
  text?: string | null;
  body?: string;
  html?: string | null;
  template?: unknown;
}

/** A trace row's detail: why its step failed; else the message it would send, its template
 * rendered; else the data it got. A wait has none. */
export function traceDetail(entry: TraceEntry): string {
  if (entry.error?.message) return entry.error.message;
  const message = drafted(entry.output);
  if (message) return describeMessage(message);
  return entry.input !== undefined && entry.input !== null ? JSON.stringify(entry.input) : "";
}

function drafted(output: unknown): DraftedMessage | undefined {
  if (typeof output !== "object" || output === null || !("message" in output)) return undefined;
  const message = output.message;
  return typeof message === "object" && message !== null ? (message as DraftedMessage) : undefined;
}

function describeMessage(message: DraftedMessage): string {
  const to = Array.isArray(message.to) ? message.to.join(", ") : message.to;
  const content = message.text ?? message.body ?? message.html ?? (message.template === undefined ? undefined : JSON.stringify(message.template));
  return [to && `To ${to}`, message.subject ?? message.title, content].filter(Boolean).join(" · ");
}
