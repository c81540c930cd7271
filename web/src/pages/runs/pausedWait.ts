// A run paused in a delay or a retry's back-off: the pause stopped that wait's clock, so the
// end the wait had (`due_at`) no longer holds; what it had left does, counted again on resume.
import type { components } from "../../api/schema";
import { duration } from "../../components/time";

type PausedWait = components["schemas"]["PausedWaitRead"];

const WAITS: Record<PausedWait["reason"], string> = {
  delay: "its delay",
  retry: "its back-off before the next attempt",
};

/** "25 min 0 s left of its delay, counted again on resume". */
export function pausedWaitText(paused: PausedWait): string {
  return `${duration(Math.round(paused.left_seconds))} left of ${WAITS[paused.reason]}, counted again on resume`;
}
