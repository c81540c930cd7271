import { expect, it } from "vitest";
import { failureHeading, retryReason, runFailure } from "./errorText";

const failedOnce = { step_id: "hook", status: "retrying", error: { message: "POST to 127.0.0.1 answered 500", retryable: true } };

it("says why a run waits to try its step again: that step's latest attempt's error", () => {
  expect(retryReason([{ step_id: "check", status: "completed" }, failedOnce], "hook")).toBe("POST to 127.0.0.1 answered 500");
});

it("says nothing once the step's latest attempt is not one to retry, or for another step", () => {
  expect(retryReason([failedOnce, { step_id: "hook", status: "completed" }], "hook")).toBeNull();
  expect(retryReason([failedOnce], "next")).toBeNull();
});

const declined = { step_id: "charge", message: "POST to pay.example answered 402: card declined" };

it("says a run's failure, and its compensation's when that failed too", () => {
  expect(runFailure(declined)).toBe("POST to pay.example answered 402: card declined");
  const refund = { step_id: "refund", message: "POST to pay.example answered 503: down" };
  expect(runFailure({ ...declined, compensation: refund })).toBe(
    "POST to pay.example answered 402: card declined; its compensation failed at step refund: POST to pay.example answered 503: down",
  );
  expect(runFailure(null)).toBeNull();
});

it("introduces a failed run's error as its failure, a compensating run's as what it handles", () => {
  expect(failureHeading("failed")).toBe("The run failed:");
  expect(failureHeading("running")).toBe("Compensating after:");
  expect(failureHeading("paused")).toBe("Compensating after:");
});
