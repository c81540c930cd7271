// The dashboard's figures: `GET /api/stats` for the period, `GET /api/stats/series` for the
// same period cut into equal buckets.
import { useQuery } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

export type Series = components["schemas"]["Series"];
export type Bucket = components["schemas"]["Bucket"];
export type WorkflowMetrics = components["schemas"]["WorkflowMetrics"];

export function useSeries(period: string, buckets: number, workflowId?: string) {
  return useQuery({
    queryKey: ["stats", "series", period, buckets, workflowId ?? ""] as const,
    queryFn: ({ signal }) =>
      api<Series>("GET", "/api/stats/series", { query: { period, buckets, workflow_id: workflowId }, signal }),
    refetchInterval: 60_000,
  });
}
