import { expect, it } from "vitest";
import { retryReason } from "./errorText";

const failedOnce = { step_id: "hook", status: "retrying", error: { message: "POST to 127.0.0.1 answered 500", retryable: true } };

it("says why a run waits to try its step again: that step's latest attempt's error", () => {
  expect(retryReason([{ step_id: "check", status: "completed" }, failedOnce], "hook")).toBe("POST to 127.0.0.1 answered 500");
});

it("says nothing once the step's latest attempt is not one to retry, or for another step", () => {
  expect(retryReason([failedOnce, { step_id: "hook", status: "completed" }], "hook")).toBeNull();
  expect(retryReason([failedOnce], "next")).toBeNull();
});
