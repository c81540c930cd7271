// A run's or step's error object ({"message", "retryable", ...}) as the sentence to show.
export function errorMessage(error: Record<string, unknown> | null | undefined): string | null {
  if (!error) return null;
  const message = error["message"];
  return typeof message === "string" ? message : JSON.stringify(error);
}

/** A run's error as the sentence to show: its failure and, when its compensation failed
 * too, that failure (`error.compensation`), which a retry of the compensation takes out of the
 * error again (the run's history then says it). */
export function runFailure(error: Record<string, unknown> | null | undefined): string | null {
  const said = errorMessage(error);
  const compensation = error?.["compensation"];
  if (said === null || typeof compensation !== "object" || compensation === null) return said;
  const failed = compensation as Record<string, unknown>;
  const step = typeof failed["step_id"] === "string" ? ` at step ${failed["step_id"]}` : "";
  return `${said}; its compensation failed${step}: ${errorMessage(failed) ?? ""}`;
}

/** How the run page introduces a run's error: an unfinished run holds one only in its
 * compensation, which handles that failure (before the run fails with it). */
export function failureHeading(status: string): string {
  return status === "failed" || status === "cancelled" ? "The run failed:" : "Compensating after:";
}

interface StepRecord {
  step_id: string;
  status: string;
  error?: Record<string, unknown> | null;
}

/** Why a run waits to try its current step again: the error of that step's latest attempt,
 * when that attempt is one the run will retry (null otherwise). */
export function retryReason(steps: readonly StepRecord[], currentStepId: string): string | null {
  const latest = steps.filter((step) => step.step_id === currentStepId).at(-1);
  return latest?.status === "retrying" ? errorMessage(latest.error) : null;
}
