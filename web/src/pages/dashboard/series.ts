// The API's buckets shaped for the charts, and the workflows that fail most.
import type { Bucket, WorkflowMetrics } from "../../api/stats";

/** The periods offered, each with a bucket count that gives round slices. */
export const PERIODS = [
  { period: "1h", label: "Last hour", buckets: 12 },
  { period: "24h", label: "Last 24 hours", buckets: 24 },
  { period: "7d", label: "Last 7 days", buckets: 28 },
  { period: "30d", label: "Last 30 days", buckets: 30 },
] as const;

/** The statuses stacked in the runs chart, bottom up, with how many of a bucket's runs each
 * holds: the API counts waiting and paused runs among the unfinished (`running_executions`),
 * and a waiting run drawn as running would say a worker is busy with it. */
export const STACKS: readonly { status: string; count: (bucket: Bucket) => number }[] = [
  { status: "completed", count: (b) => b.successful_executions },
  { status: "failed", count: (b) => b.failed_executions },
  { status: "cancelled", count: (b) => b.cancelled_executions },
  { status: "running", count: (b) => b.running_executions - b.waiting_executions - b.paused_executions },
  { status: "waiting", count: (b) => b.waiting_executions },
  { status: "paused", count: (b) => b.paused_executions },
];

export interface Point { label: string; value: number | null }
export interface Stack { label: string; parts: { status: string; value: number }[]; total: number }

/** A bucket's start as a short label: the time of day for periods up to two days, else the date. */
export function bucketLabel(since: string, spanSeconds: number): string {
  const at = new Date(since);
  const pad = (n: number) => String(n).padStart(2, "0");
  if (spanSeconds <= 2 * 86400) return `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  return `${at.getMonth() + 1}/${at.getDate()}`;
}

function span(buckets: readonly Bucket[]): number {
  if (buckets.length === 0) return 0;
  return (new Date(buckets.at(-1)!.until).getTime() - new Date(buckets[0]!.since).getTime()) / 1000;
}

/** Runs per bucket by status, as stacks. */
export function runStacks(buckets: readonly Bucket[]): Stack[] {
  const seconds = span(buckets);
  return buckets.map((bucket) => {
    const parts = STACKS.map(({ status, count }) => ({ status, value: count(bucket) }));
    return { label: bucketLabel(bucket.since, seconds), parts, total: parts.reduce((sum, part) => sum + part.value, 0) };
  });
}

/** One figure per bucket; null where the bucket had nothing to measure (a gap, not a zero). */
export function points(buckets: readonly Bucket[], field: "success_rate" | "average_execution_time" | "total_triggers"): Point[] {
  const seconds = span(buckets);
  return buckets.map((bucket) => ({ label: bucketLabel(bucket.since, seconds), value: bucket[field] ?? null }));
}

export interface Failing { workflowId: string; failed: number; runs: number; failureRate: number }

/** The workflows with runs that failed in the period, most failures first (then the higher
 * failure rate). A failed run retried since failed all the same: the runs that ever failed,
 * of all the period's runs. */
export function failingMost(workflows: Readonly<Record<string, WorkflowMetrics>>, count: number): Failing[] {
  return Object.entries(workflows)
    .map(([workflowId, metrics]) => {
      const failed = metrics.ever_failed_executions, runs = metrics.total_executions;
      return { workflowId, failed, runs, failureRate: runs ? (failed / runs) * 100 : 0 };
    })
    .filter((one) => one.failed > 0)
    .sort((a, b) => b.failed - a.failed || b.failureRate - a.failureRate || a.workflowId.localeCompare(b.workflowId))
    .slice(0, count);
}

/** A round top for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].map((step) => step * power).find((top) => top >= max))!;
}

/** A count axis's tick: the middle tick of an axis up to 1 or 5 falls between two counts,
 * and rounding it would label two ticks alike ("0, 1, 1"). */
export function countTick(value: number): string {
  return String(Math.round(value * 10) / 10);
}
