import { describe, expect, it } from "vitest";
import type { Approval } from "../../api/approvals";
import { when } from "../../components/time";
import { approvalState, decisionBody } from "./approval";

const approval = (change: Partial<Approval>): Approval => ({
  approval_id: "run_1~ok~0", run_id: "run_1", workflow_id: "refunds", step_id: "ok", run_status: "waiting", status: "pending", message: "Refund 50 EUR?",
  deadline: "2026-12-07T08:00:00Z", decided_by: null, decided_at: null, comment: null, already_decided: false, ...change,
});

describe("approvals", () => {
  it("sends a comment only when one was written", () => {
    expect(decisionBody("  Budget checked. ")).toEqual({ comment: "Budget checked." });
    expect(decisionBody("   ")).toEqual({});
  });

  it("says until when a pending approval waits", () => {
    expect(approvalState(approval({}))).toBe(`Waiting for a decision until ${when("2026-12-07T08:00:00Z")}.`);
    expect(approvalState(approval({ deadline: null }))).toBe("Waiting for a decision.");
  });

  it("says who decided, when, and what they wrote", () => {
    const decided = { decided_by: "key_1", decided_at: "2026-12-06T09:00:00Z", run_status: "completed" as const };
    expect(approvalState(approval({ ...decided, status: "approved", comment: "Budget checked." }))).toBe(
      `Approved by key_1 at ${when("2026-12-06T09:00:00Z")}: Budget checked.`,
    );
    expect(approvalState(approval({ ...decided, status: "rejected" }))).toBe(`Rejected by key_1 at ${when("2026-12-06T09:00:00Z")}.`);
  });

  it("explains an approval the run is not waiting at, and one that timed out", () => {
    expect(approvalState(approval({ status: "not_waiting", run_status: "cancelled" }))).toBe(
      "Not waiting for a decision: the run is cancelled.",
    );
    expect(approvalState(approval({ status: "timed_out" }))).toContain("on_timeout actions ran");
  });
});
