// The event log: events newest first with what each did, and replay, on the one
// react-query cache.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "./client";
import { refreshFirstPage } from "./runs";
import type { components } from "./schema";

export type EventSummary = components["schemas"]["EventSummary"];
export type EventRead = components["schemas"]["EventRead"];
export type EventList = components["schemas"]["EventList"];
export type EventReplayed = components["schemas"]["EventReplayed"];
export type EventAccepted = components["schemas"]["EventAccepted"];
export type EventTypeRead = components["schemas"]["EventTypeRead"];

/** An event as `POST /api/events` takes it. */
export interface EventToSend {
  type: string;
  user: unknown;
  data: unknown;
}

/** The log's filters, as `GET /api/events` takes them. */
export interface EventFilter {
  type?: string;
  user_id?: string;
}

export const EVENTS_PAGE_SIZE = 50;

const eventPath = (id: string) => `/api/events/${encodeURIComponent(id)}`;

export function useEvents(filter: EventFilter, after: string | undefined) {
  return useQuery({
    queryKey: ["events", "list", filter, after ?? ""],
    queryFn: ({ signal }) =>
      api<EventList>("GET", "/api/events", { query: { ...filter, after, limit: EVENTS_PAGE_SIZE }, signal }),
    refetchInterval: refreshFirstPage(after),
    placeholderData: (previous) => previous,
  });
}

export function useEvent(id: string | undefined) {
  return useQuery({
    queryKey: ["events", "one", id ?? ""],
    queryFn: ({ signal }) => api<EventRead>("GET", eventPath(id ?? ""), { signal }),
    enabled: id !== undefined,
  });
}

/** Accept the event again as a new one; the log and the run lists are read again to show it
 * and its runs. */
export function useReplay(id: string) {
  return useAccepting(() => api<EventReplayed>("POST", `${eventPath(id)}/replay`));
}

/** Accept the event again for one workflow only, on its version active now: a failed run's
 * event once the workflow is fixed (Retry keeps to the run's own version). */
export function useReplayInto(eventId: string, workflowId: string) {
  return useAccepting(() =>
    api<EventReplayed>("POST", `${eventPath(eventId)}/replay`, { body: { workflow_ids: [workflowId] } }));
}

/** Send a real event (`POST /api/events`): its runs start as the API's would; the event
 * log and the run lists are read again to show them. */
export function useSendEvent() {
  return useAccepting((event: EventToSend) => api<EventAccepted>("POST", "/api/events", { body: event }));
}

/** Start one run of a workflow's active version now (`POST /api/workflows/{id}/run`), as its
 * schedule would: a scheduled workflow listens to no event a test could send. `skipDelays`:
 * a test run that passes over its steps' delays. */
export function useRunNow(workflowId: string) {
  return useAccepting(({ user, data, skipDelays = false }: Omit<EventToSend, "type"> & { skipDelays?: boolean }) =>
    api<EventAccepted>("POST", `/api/workflows/${encodeURIComponent(workflowId)}/run`, { body: { user, data, skip_delays: skipDelays } }));
}

function useAccepting<T>(accept: (input: T) => Promise<EventAccepted>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: accept,
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ["events", "list"] });
      await client.invalidateQueries({ queryKey: ["runs", "list"] });
    },
  });
}

/** The event types a trigger may pick: received by the tenant, or listened to by its active
 * workflows. Asked again after a minute at most: a type sent meanwhile is offered then. */
export function useEventTypes() {
  return useQuery({
    queryKey: ["events", "types"],
    queryFn: ({ signal }) => api<components["schemas"]["EventTypes"]>("GET", "/api/events/types", { signal }),
    staleTime: 60_000,
  });
}
