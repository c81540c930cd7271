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
