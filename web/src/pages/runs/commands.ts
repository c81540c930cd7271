// Which run-control command fits which state, in the API's own rule (app/engine/control.py),
// and what a refusal (409) means in words.
import type { RunCommand, RunRead } from "../../api/runs";
import type { RunStatus } from "../../components/runStatus";

export const COMMANDS: readonly RunCommand[] = ["pause", "resume", "cancel", "retry", "skip"];

const ALLOWED: Readonly<Record<RunCommand, readonly RunStatus[]>> = {
  pause: ["pending", "running", "waiting"],
  resume: ["paused"],
  cancel: ["pending", "running", "waiting", "paused"],
  retry: ["failed", "waiting"], // waiting: only to retry a failed step (fitsRun)
  skip: ["waiting", "paused", "failed"],
};

const WHAT: Readonly<Record<RunCommand, string>> = {
  pause: "Pause stops a run that has not finished until it is resumed",
  resume: "Resume continues a paused run",
  cancel: "Cancel ends a run that has not finished",
  retry: "Retry runs a failed run again from the step that failed, or a run waiting to retry a step now",
  skip: "Skip moves a waiting, paused or failed run past its current step",
};

export function fits(command: RunCommand, status: RunStatus): boolean {
  return ALLOWED[command].includes(status);
}

/** Whether `command` fits this run: as `fits`, and retry takes a waiting run only while it
 * waits to retry a failed step (the API's own rule, on the API's `wait_reason`, which a pause
 * and a resume keep). */
export function fitsRun(command: RunCommand, run: Pick<RunRead, "status" | "wait_reason">): boolean {
  if (command === "retry" && run.status === "waiting") return waitsToRetry(run);
  return fits(command, run.status);
}

/** Whether the run waits out a failed step's backoff: retry brings the attempt forward. */
export function waitsToRetry(run: Pick<RunRead, "status" | "wait_reason">): boolean {
  return run.status === "waiting" && run.wait_reason === "retry";
}

function list(states: readonly string[]): string {
  return states.length === 1 ? states[0]! : `${states.slice(0, -1).join(", ")} or ${states.at(-1)}`;
}

/** The states `command` works on, in words: "pending, running or waiting". */
export function statesFor(command: RunCommand): string {
  return command === "retry" ? "failed or waiting to retry a step" : list(ALLOWED[command]);
}

/** Why a run control does nothing now, in words, or undefined while it works: a command is
 * being sent (`sending`: every control waits for its answer), or `command` does not fit the
 * run. Greyed, not disabled: a disabled control drops the keyboard's focus to the page. */
export function whyGreyed(
  command: RunCommand,
  run: Pick<RunRead, "status" | "wait_reason">,
  sending: RunCommand | null,
): string | undefined {
  if (sending !== null) return `Sending ${sending} to the run; wait for its answer.`;
  return fitsRun(command, run) ? undefined : explainRefusal(command, run.status, run.wait_reason);
}

/** Whether a 409's message says the run moved on from the revision the command was chosen
 * on (the API's words: "... as read at revision 4: it moved on since ..."). */
export function movedOn(message: string): boolean {
  return /as read at revision \d+: it moved on/.test(message);
}

/** A waiting run's wait in words, from its reason: "waiting for approval ap_1" and "queued
 * behind 3 runs (...)" say it already; a timed wait's reason is its kind ("delay", "quiet
 * hours", "send window"). */
function waitingFor(reason: string | null | undefined): string {
  if (!reason) return "waiting";
  if (/^(waiting for|queued behind) /.test(reason)) return reason;
  return `waiting out its ${reason}`;
}

/** Why `command` does not fit a run that is `status`: said before the click and after a 409. */
export function explainRefusal(command: RunCommand, status: RunStatus, reason?: string | null): string {
  if (command === "retry" && status === "waiting") {
    return `${WHAT.retry}; this run is ${waitingFor(reason)}, not to retry a failed step.`;
  }
  const finished = status === "completed" || status === "cancelled";
  const tail = finished ? " A finished run can no longer change." : "";
  return `${WHAT[command]}; this run is ${status}, and ${command} works only on a run that is ` +
    `${statesFor(command)}.${tail}`;
}
