// What bulk run control says before and while it works: how many runs a command will touch,
// which of them it will refuse, and how far the job has got.
import type { BulkAction, BulkJob } from "../../api/bulk";
import type { RunFilter } from "../../api/runs";
import type { RunStatus } from "../../components/runStatus";
import { fits, statesFor } from "./commands";

export const BULK_ACTIONS: readonly BulkAction[] = ["retry", "cancel", "pause", "resume"];

const DONE: Readonly<Record<BulkAction, string>> = {
  retry: "retried", cancel: "cancelled", pause: "paused", resume: "resumed",
};

export function runs(count: number): string {
  return count === 1 ? "1 run" : `${count} runs`;
}

/** The dry run's answer in words: "This will retry 5 runs." */
export function planText(action: BulkAction, matched: number): string {
  return matched === 0
    ? `No run matches these filters: nothing to ${action}.`
    : `This will ${action} ${runs(matched)}.`;
}

/** A warning when the filters reach further than the command fits: no filter at all (every
 * run of the tenant), or a status the command refuses. Null when the filters fit. */
export function planWarning(action: BulkAction, filter: RunFilter): string | null {
  const name = action[0]!.toUpperCase() + action.slice(1);
  const refused = `${name} works only on a run that is ${statesFor(action)}; the others are refused and listed.`;
  if (Object.values(filter).every((value) => !value)) return `No filter is set: that is every run. ${refused}`;
  if (!filter.status) return refused;
  return fits(action, filter.status as RunStatus) ? null : `Every run matched is ${filter.status}: ${refused}`;
}

/** A job's progress: "3 of 5 runs handled: 3 retried, 0 refused." */
export function progressText(job: BulkJob): string {
  const counts = `${job.done} of ${runs(job.matched)} handled: ${job.changed} ${DONE[job.action]}, ${job.refused_count} refused.`;
  return job.status === "completed" ? `Done. ${counts}` : counts;
}
