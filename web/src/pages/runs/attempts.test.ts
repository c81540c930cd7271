import { expect, it } from "vitest";
import { attemptNumbers } from "./attempts";

it("numbers a step retried through the API after its policy's attempts on from them", () => {
  // The API's records: attempt 1 failed for good, then the run retried, attempt 1 again.
  const steps = [
    { step_id: "hook", attempt: 1, status: "failed", idempotency_key: "r:hook:0" },
    { step_id: "hook", attempt: 1, status: "completed", idempotency_key: "r:hook:0" },
  ];
  expect(attemptNumbers(steps)).toEqual([1, 2]);
});

it("counts each call apart: other steps and a loop's turns start at attempt 1", () => {
  const steps = [
    { idempotency_key: "r:check:0" },
    { idempotency_key: "r:sms:0" },
    { idempotency_key: "r:sms:0" },
    { idempotency_key: "r:sms:1" },
  ];
  expect(attemptNumbers(steps)).toEqual([1, 1, 2, 1]);
});
