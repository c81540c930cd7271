import { describe, expect, it } from "vitest";
import type { Bucket } from "../../api/stats";
import { countTick, failingMost, niceMax, points, runStacks } from "./series";

const bucket = (since: string, until: string, figures: Partial<Bucket>): Bucket => ({
  since, until, total_executions: 0, successful_executions: 0, failed_executions: 0, cancelled_executions: 0,
  running_executions: 0, waiting_executions: 0, paused_executions: 0, success_rate: null, average_execution_time: null, total_triggers: 0, ai_cost: 0, ...figures,
});

const BUCKETS = [
  bucket("2026-12-06T00:00:00Z", "2026-12-06T01:00:00Z", { successful_executions: 3, failed_executions: 1, success_rate: 75, total_triggers: 5 }),
  bucket("2026-12-06T01:00:00Z", "2026-12-06T02:00:00Z", {}),
];

describe("dashboard series", () => {
  it("stacks each bucket's runs by status, completed first", () => {
    const [first, second] = runStacks(BUCKETS);
    expect(first!.parts).toEqual([
      { status: "completed", value: 3 }, { status: "failed", value: 1 },
      { status: "cancelled", value: 0 }, { status: "running", value: 0 },
      { status: "waiting", value: 0 }, { status: "paused", value: 0 },
    ]);
    expect([first!.total, second!.total]).toEqual([4, 0]);
  });

  it("draws waiting and paused runs apart from the running ones", () => {
    const unfinished = bucket("2026-12-06T00:00:00Z", "2026-12-06T01:00:00Z", { running_executions: 4, waiting_executions: 2, paused_executions: 1 });
    const [stack] = runStacks([unfinished]);
    expect(stack!.parts.slice(3)).toEqual([
      { status: "running", value: 1 }, { status: "waiting", value: 2 }, { status: "paused", value: 1 },
    ]);
    expect(stack!.total).toBe(4);
  });

  it("keeps a bucket with no finished run as a gap in the success rate, not a zero", () => {
    expect(points(BUCKETS, "success_rate").map((p) => p.value)).toEqual([75, null]);
    expect(points(BUCKETS, "total_triggers").map((p) => p.value)).toEqual([5, 0]);
  });

  it("labels buckets by time of day within two days, by date beyond", () => {
    const week = [bucket("2026-12-01T12:00:00Z", "2026-12-08T12:00:00Z", {})];
    expect(points(BUCKETS, "total_triggers")[0]!.label).toMatch(/^\d\d:\d\d$/);
    expect(points(week, "total_triggers")[0]!.label).toMatch(/^\d{1,2}\/\d{1,2}$/);
  });

  it("ranks the workflows that fail most, leaving out those that never failed", () => {
    const metrics = (ok: number, failed: number) => ({
      total_executions: ok + failed, successful_executions: ok, failed_executions: failed, ever_failed_executions: failed, cancelled_executions: 0,
      running_executions: 0, waiting_executions: 0, paused_executions: 0, success_rate: null, average_execution_time: null, active_workflows: 0, total_triggers: 0,
      ai_usage: { calls: 0, input_tokens: 0, output_tokens: 0, cost: 0 },
    });
    const ranked = failingMost({ a: metrics(10, 2), b: metrics(0, 2), c: metrics(5, 0), d: metrics(1, 9) }, 5);
    expect(ranked.map((one) => one.workflowId)).toEqual(["d", "b", "a"]);
    expect(ranked[1]!.failureRate).toBe(100);
  });

  it("counts a failed run retried since among the workflow's failures", () => {
    // It failed, was retried and completed: the list said no workflow had a failed run.
    const retried = {
      total_executions: 2, successful_executions: 2, failed_executions: 0, ever_failed_executions: 1, cancelled_executions: 0,
      running_executions: 0, waiting_executions: 0, paused_executions: 0, success_rate: 100, average_execution_time: null, active_workflows: 1, total_triggers: 2,
      ai_usage: { calls: 0, input_tokens: 0, output_tokens: 0, cost: 0 },
    };
    expect(failingMost({ cart: retried }, 5)).toEqual([{ workflowId: "cart", failed: 1, runs: 2, failureRate: 50 }]);
  });

  it("rounds an axis top up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 12, 480].map(niceMax)).toEqual([1, 1, 5, 10, 20, 500]);
  });

  it("labels each tick of a count axis apart, halves included", () => {
    expect([0, 0.5, 1, 2.5, 5, 250].map(countTick)).toEqual(["0", "0.5", "1", "2.5", "5", "250"]);
  });
});

describe("line segments", () => {
  it("breaks a line where a bucket has no figure", async () => {
    const { segments } = await import("../../components/charts/LineChart");
    const runs = segments([{ value: 1 }, { value: null }, { value: 2 }, { value: 3 }]);
    expect(runs).toEqual([[{ index: 0, value: 1 }], [{ index: 2, value: 2 }, { index: 3, value: 3 }]]);
  });
});
