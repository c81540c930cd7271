import { describe, expect, it } from "vitest";
import type { BulkJob } from "../../api/bulk";
import { planText, planWarning, progressText } from "./bulk";

const job = (change: Partial<BulkJob>): BulkJob => ({
  job_id: "bulk_1", action: "retry", filter: { status: "failed" }, status: "running", matched: 5, done: 3,
  changed: 2, refused: [], refused_count: 1, batches: 1, requested_by: "key_1",
  created_at: "2026-12-06T08:00:00Z", updated_at: "2026-12-06T08:00:01Z", finished_at: null, ...change,
});

describe("bulk run control", () => {
  it("says how many runs the command will touch, and when none match", () => {
    expect(planText("retry", 5)).toBe("This will retry 5 runs.");
    expect(planText("pause", 1)).toBe("This will pause 1 run.");
    expect(planText("cancel", 0)).toBe("No run matches these filters: nothing to cancel.");
  });

  it("warns when no filter is set, since that is every run of the tenant", () => {
    expect(planWarning("cancel", {})).toBe(
      "No filter is set: that is every run. Cancel works only on a run that is pending, running, waiting or " +
        "paused; the others are refused and listed.",
    );
    expect(planWarning("cancel", { status: "", user_id: "" })).toContain("No filter is set");
  });

  it("warns when the status filter does not fit the command, and not when it does", () => {
    expect(planWarning("retry", { status: "failed" })).toBeNull();
    expect(planWarning("retry", { status: "completed" })).toBe(
      "Every run matched is completed: Retry works only on a run that is failed or waiting to retry a step; the others are refused and listed.",
    );
    expect(planWarning("resume", { workflow_id: "welcome" })).toBe(
      "Resume works only on a run that is paused; the others are refused and listed.",
    );
  });

  it("reads a job's progress, then says when it is done", () => {
    expect(progressText(job({}))).toBe("3 of 5 runs handled: 2 retried, 1 refused.");
    expect(progressText(job({ action: "cancel", status: "completed", done: 5, changed: 5, refused_count: 0 }))).toBe(
      "Done. 5 of 5 runs handled: 5 cancelled, 0 refused.",
    );
  });
});
