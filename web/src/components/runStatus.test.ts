import { describe, expect, it } from "vitest";
import { isLive, statusColour, STATUS_COLOURS, RUN_STATUSES } from "./runStatus";
import { refreshWhileLive, LIVE_REFRESH_MS } from "../api/runs";

describe("run status", () => {
  it("shows a failed run in red and a completed one in green", () => {
    expect(statusColour("failed")).toBe("#c62828");
    expect(statusColour("completed")).toBe("#2e7d32");
  });

  it("shows a step whose at_most_once call has an unknown outcome apart from runs' colours", () => {
    expect(statusColour("unknown")).toBe("#e65100");
    expect(Object.values(STATUS_COLOURS)).not.toContain(statusColour("unknown"));
  });

  it("gives every status its own colour, and an unknown one grey", () => {
    expect(new Set(RUN_STATUSES.map((s) => STATUS_COLOURS[s])).size).toBe(RUN_STATUSES.length);
    expect(statusColour("exploded")).toBe("#6b7280");
  });

  it("counts pending, running and waiting runs as live; paused and finished ones not", () => {
    expect(RUN_STATUSES.filter(isLive)).toEqual(["pending", "running", "waiting"]);
  });

  it("refreshes a list only while a run in it is live", () => {
    expect(refreshWhileLive([{ status: "completed" }, { status: "running" }])).toBe(LIVE_REFRESH_MS);
    expect(refreshWhileLive([{ status: "completed" }, { status: "failed" }])).toBe(false);
    expect(refreshWhileLive(undefined)).toBe(false);
  });
});
