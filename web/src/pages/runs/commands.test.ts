import { describe, expect, it } from "vitest";
import { COMMANDS, explainRefusal, fits, fitsRun, movedOn, whyGreyed } from "./commands";
import { statusIn } from "./RunControls";

describe("run control", () => {
  it("offers retry only on a failed run", () => {
    expect(fits("retry", "failed")).toBe(true);
    expect(fits("retry", "completed")).toBe(false);
    expect(fits("retry", "running")).toBe(false);
  });

  it("offers retry on a waiting run only while it waits to retry a failed step", () => {
    const waiting = (reason: string) => ({ status: "waiting" as const, wait_reason: reason });
    expect(fitsRun("retry", waiting("retry"))).toBe(true);
    expect(fitsRun("retry", waiting("delay"))).toBe(false);
    expect(fitsRun("retry", waiting("waiting for approval ap_1"))).toBe(false);
    expect(fitsRun("retry", { status: "failed", wait_reason: null })).toBe(true);
    // It said "this run waits for delay", and "waits for waiting for order_shipped".
    expect(explainRefusal("retry", "waiting", "delay")).toContain("this run is waiting out its delay, not to retry a failed step");
    expect(explainRefusal("retry", "waiting", "send window")).toContain("this run is waiting out its send window, not");
    expect(explainRefusal("retry", "waiting", "waiting for order_shipped")).toContain("this run is waiting for order_shipped, not");
    expect(explainRefusal("retry", "waiting", "queued behind 2 runs (per user)")).toContain("this run is queued behind 2 runs (per user), not");
    expect(explainRefusal("retry", "waiting", null)).toContain("this run is waiting, not to retry a failed step");
  });

  it("greys every control, with why, while a command is being sent, and none after", () => {
    const waiting = { status: "waiting" as const, wait_reason: "retry" };
    expect(COMMANDS.map((name) => whyGreyed(name, waiting, "retry"))).toEqual(
      Array(5).fill("Sending retry to the run; wait for its answer."),
    );
    expect(whyGreyed("retry", waiting, null)).toBeUndefined();
    expect(whyGreyed("resume", waiting, null)).toContain("this run is waiting, and resume works only");
  });

  it("tells a refusal of a run that moved on from one of a state that does not fit", () => {
    const moved =
      "Cannot skip run r1 as read at revision 4: it moved on since (now waiting, at revision 9); " +
      "read it again and decide on it as it is.";
    expect(movedOn(moved)).toBe(true);
    expect(statusIn(moved)).toBeNull();
    expect(movedOn("Cannot skip run r1: it is running (skip works on runs that are waiting).")).toBe(false);
  });

  it("offers resume only on a paused run, and skip past a wait, a pause or a failure", () => {
    expect(fits("resume", "paused")).toBe(true);
    expect(fits("resume", "waiting")).toBe(false);
    expect(["waiting", "paused", "failed"].every((s) => fits("skip", s as never))).toBe(true);
    expect(fits("skip", "running")).toBe(false);
  });

  it("explains a refused retry in words, naming the state and the states it needs", () => {
    expect(explainRefusal("retry", "completed")).toBe(
      "Retry runs a failed run again from the step that failed, or a run waiting to retry a step now; this run is completed, and retry " +
        "works only on a run that is failed or waiting to retry a step. A finished run can no longer change.",
    );
  });

  it("lists several fitting states with 'or'", () => {
    expect(explainRefusal("pause", "paused")).toContain("works only on a run that is pending, running or waiting.");
    expect(explainRefusal("pause", "paused")).not.toContain("finished run");
  });

  it("reads the state the API's 409 names, fresher than the page's", () => {
    expect(statusIn("Cannot retry run run_1: it is completed (retry works on runs that are failed).")).toBe("completed");
    expect(statusIn("Run run_1 kept changing; try again.")).toBeNull();
  });
});
