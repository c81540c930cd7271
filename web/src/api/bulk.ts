// Bulk run control: one command over every run a filter matches, counted first (a dry run),
// then worked through by a background job whose progress the Studio polls until it is done.
import { useMutation, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import type { RunFilter } from "./runs";
import type { components } from "./schema";

export type BulkAction = components["schemas"]["BulkAction"];
export type BulkAccepted = components["schemas"]["BulkAccepted"];
export type BulkJob = components["schemas"]["BulkJobRead"];

/** `POST /api/runs/bulk`'s body, with the explorer's filter as the address holds it (the API
 * checks the status and the times, and names the field it refuses). */
export interface BulkRequest {
  action: BulkAction;
  filter: RunFilter;
  dry_run: boolean;
}

/** How often a running job's progress is asked for. */
export const BULK_REFRESH_MS = 1000;

export function useBulkRequest() {
  return useMutation({
    mutationFn: (body: BulkRequest) => api<BulkAccepted>("POST", "/api/runs/bulk", { body }),
  });
}

export function useBulkJob(jobId: string) {
  return useQuery({
    queryKey: ["bulk", jobId],
    queryFn: ({ signal }) => api<BulkJob>("GET", `/api/runs/bulk/${encodeURIComponent(jobId)}`, { signal }),
    refetchInterval: (query) => (query.state.data?.status === "completed" ? false : BULK_REFRESH_MS),
  });
}
