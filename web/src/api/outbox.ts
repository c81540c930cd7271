// The dev outbox: the channel messages kept instead of sent (no provider configured), newest
// first (GET /api/outbox).
import { useQuery } from "@tanstack/react-query";
import { api } from "./client";
import { refreshFirstPage } from "./runs";
import type { components } from "./schema";

export type OutboxMessage = components["schemas"]["OutboxRead"];
export type OutboxList = components["schemas"]["OutboxList"];

/** The outbox's filters, as `GET /api/outbox` takes them (kept in the page's address). */
export const OUTBOX_FILTERS = ["channel", "recipient", "run_id"] as const;
export type OutboxFilter = Partial<Record<(typeof OUTBOX_FILTERS)[number], string>>;

export const OUTBOX_PAGE_SIZE = 50;

export function useOutbox(filter: OutboxFilter, after: string | undefined) {
  return useQuery({
    queryKey: ["outbox", "list", filter, after ?? ""],
    queryFn: ({ signal }) =>
      api<OutboxList>("GET", "/api/outbox", { query: { ...filter, after, limit: OUTBOX_PAGE_SIZE }, signal }),
    refetchInterval: refreshFirstPage(after),
    placeholderData: (previous) => previous,
  });
}

const PREVIEW_CHARACTERS = 120;

/** A message's body in one short line: its text, else its HTML as written. */
export function preview(message: Pick<OutboxMessage, "text" | "html">): string {
  const body = (message.text ?? message.html ?? "").replace(/\s+/g, " ").trim();
  return body.length > PREVIEW_CHARACTERS ? `${body.slice(0, PREVIEW_CHARACTERS - 1)}…` : body;
}
