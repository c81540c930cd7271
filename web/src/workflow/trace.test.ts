import { expect, it } from "vitest";
import { traceStates } from "./trace";

it("keeps each step's last state and leaves waits out", () => {
  const states = traceStates([
    { at: 0, step_id: "a", status: "completed" },
    { at: 0, wait_seconds: 300, reason: "delay" },
    { at: 300, step_id: "b", status: "retrying" },
    { at: 360, step_id: "b", status: "failed" },
  ]);
  expect([...states]).toEqual([["trigger", "completed"], ["a", "completed"], ["b", "failed"]]);
});

it("shows an at_most_once step with an unknown outcome as failed on the canvas", () => {
  const states = traceStates([{ step_id: "charge", status: "unknown" }]);
  expect(states.get("charge")).toBe("failed");
});

it("draws a dry run's would_fail step as failed", () => {
  const states = traceStates([{ at: 0, step_id: "welcome", status: "would_fail", reason: "no SMTP server" }]);
  expect(states.get("welcome")).toBe("failed");
});

it("draws a step that waits for its next attempt as retrying, not running", () => {
  expect(traceStates([{ step_id: "hook", status: "retrying" }]).get("hook")).toBe("retrying");
});
