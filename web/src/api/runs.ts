// Run queries and run control, on the one react-query cache. Lists and pages of live runs
// refresh by themselves; finished ones are not polled.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";
import { isLive } from "../components/runStatus";

export type RunSummary = components["schemas"]["RunSummary"];
export type RunRead = components["schemas"]["RunRead"];
export type StepRead = components["schemas"]["StepRead"];
export type RunList = components["schemas"]["RunList"];
export type RunCommand = "pause" | "resume" | "cancel" | "retry" | "skip";

/** The explorer's filters, as `GET /api/runs` takes them. */
export interface RunFilter {
  workflow_id?: string;
  status?: string;
  user_id?: string;
  since?: string;
  until?: string;
}

/** How often a page showing a live run asks again. */
export const LIVE_REFRESH_MS = 3000;
export const RUNS_PAGE_SIZE = 50;

export const runKeys = {
  all: ["runs"] as const,
  list: (filter: RunFilter, after: string | undefined) => ["runs", "list", filter, after ?? ""] as const,
  one: (id: string) => ["runs", "one", id] as const,
};

const runPath = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

/** A log's refresh (events, outbox): on its first page only, where new entries appear, so
 * someone testing a workflow sees them arrive; a later page holds still rather than shift
 * under the reader. */
export function refreshFirstPage(after: string | undefined): number | false {
  return after === undefined ? LIVE_REFRESH_MS : false;
}

/** Refresh while any run shown may still change by itself, else stop polling. */
export function refreshWhileLive(runs: readonly { status: RunSummary["status"] }[] | undefined): number | false {
  return runs?.some((run) => isLive(run.status)) ? LIVE_REFRESH_MS : false;
}

export function useRuns(filter: RunFilter, after: string | undefined) {
  return useQuery({
    queryKey: runKeys.list(filter, after),
    queryFn: ({ signal }) =>
      api<RunList>("GET", "/api/runs", { query: { ...filter, after, limit: RUNS_PAGE_SIZE }, signal }),
    refetchInterval: (query) => refreshWhileLive(query.state.data?.items),
    placeholderData: (previous) => previous,
  });
}

export function useRun(id: string) {
  return useQuery({
    queryKey: runKeys.one(id),
    queryFn: ({ signal }) => api<RunRead>("GET", runPath(id), { signal }),
    refetchInterval: (query) => refreshWhileLive(query.state.data ? [query.state.data] : undefined),
  });
}

/** A command, with the run's `revision` it was decided on when given: the API then refuses
 * it (409) once the run moved on, rather than apply it where the run stands now. */
export interface RunOrder {
  command: RunCommand;
  revision?: number;
}

/** Pause, resume, cancel, retry or skip; the answer is the run as it now stands. */
export function useRunCommand(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ command, revision }: RunOrder) =>
      api<RunRead>("POST", `${runPath(id)}/${command}`, { query: { revision } }),
    onSuccess: (run) => {
      client.setQueryData(runKeys.one(id), run);
      return client.invalidateQueries({ queryKey: ["runs", "list"] });
    },
  });
}

/** Set run variables on a paused or waiting run (`null` removes one); the answer is the run. */
export function useSetVariables(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (changes: Record<string, unknown>) =>
      api<RunRead>("PATCH", `${runPath(id)}/variables`, { body: changes }),
    onSuccess: (run) => client.setQueryData(runKeys.one(id), run),
  });
}
