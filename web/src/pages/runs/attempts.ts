// Which attempt of its call each step record is. The API's `attempt` counts within one round
// of the step's retry policy, and a run retried through the API starts a new round at 1, so
// a step failed for good and then retried has two records both at attempt 1. The attempts
// of one call share its idempotency key (`run:step:iteration`: a loop's turns differ), so
// a record's place among those sharing its key is its attempt, counting every round.

interface StepRecord {
  idempotency_key: string;
}

/** Each record's attempt of its call, in the records' order (the order they ran). */
export function attemptNumbers(steps: readonly StepRecord[]): number[] {
  const seen = new Map<string, number>();
  return steps.map((step) => {
    const attempt = (seen.get(step.idempotency_key) ?? 0) + 1;
    seen.set(step.idempotency_key, attempt);
    return attempt;
  });
}
