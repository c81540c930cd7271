// How a run's status reads and looks everywhere in the console (explorer, run page, charts).
import type { components } from "../api/schema";

export type RunStatus = components["schemas"]["RunStatus"];

export const RUN_STATUSES: readonly RunStatus[] = [
  "pending", "running", "waiting", "paused", "completed", "failed", "cancelled",
];

/** Statuses of a run that may still change by itself: pages showing one refresh. */
const LIVE: ReadonlySet<RunStatus> = new Set<RunStatus>(["pending", "running", "waiting"]);

export function isLive(status: RunStatus): boolean {
  return LIVE.has(status);
}

/** One colour per status; failed is red, completed green, the unfinished ones blue or amber. */
export const STATUS_COLOURS: Readonly<Record<RunStatus, string>> = {
  pending: "#6b7280",
  running: "#2f5bd3",
  waiting: "#7c4dff",
  paused: "#b26a00",
  completed: "#2e7d32",
  failed: "#c62828",
  cancelled: "#9e9e9e",
};

/** Steps' statuses that runs do not have: `unknown` (an at_most_once call cut short, never
 * made again) in deep orange, apart from both a success and a failure. */
const STEP_COLOURS: Readonly<Record<string, string>> = { unknown: "#e65100" };

export function statusColour(status: string): string {
  return STATUS_COLOURS[status as RunStatus] ?? STEP_COLOURS[status] ?? "#6b7280";
}
