import { expect, it } from "vitest";
import { traceDetail, traceStates } from "./trace";

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

it("says what a message step would send, its template rendered, not the data it got", () => {
  const email = {
    step_id: "welcome",
    status: "completed",
    input: {},
    output: { dry_run: true, would_send: {}, message: { from: "shop@example.com", to: ["Ada <ada@example.com>"], reply_to: null, subject: "Welcome, Ada", text: "Your code is K7.", html: null } },
  };
  expect(traceDetail(email)).toBe("To Ada <ada@example.com> · Welcome, Ada · Your code is K7.");
  const text = { step_id: "text", status: "completed", input: {}, output: { message: { to: "+15555550100", body: "Hi Ada" } } };
  expect(traceDetail(text)).toBe("To +15555550100 · Hi Ada");
});

it("says why a step would fail, else the data a step without a message got", () => {
  expect(traceDetail({ step_id: "w", status: "would_fail", error: { message: "no recipient" }, input: {} })).toBe("no recipient");
  expect(traceDetail({ step_id: "hook", status: "completed", input: { url: "https://h.example/" }, output: {} })).toBe('{"url":"https://h.example/"}');
  expect(traceDetail({ at: 0, wait_seconds: 60, reason: "delay" })).toBe("");
});
