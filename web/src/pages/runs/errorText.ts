// A run's or step's error object ({"message", "retryable", ...}) as the sentence to show.
export function errorMessage(error: Record<string, unknown> | null | undefined): string | null {
  if (!error) return null;
  const message = error["message"];
  return typeof message === "string" ? message : JSON.stringify(error);
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
