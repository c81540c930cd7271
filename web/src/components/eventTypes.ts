// A trigger's event type offered from the types the tenant received and those its active
// workflows listen to (`GET /api/events/types`), each saying which.
import type { EventTypeRead } from "../api/events";
import type { Suggestion } from "./SuggestionList";

const NAMED = 3;

export function eventTypeSuggestions(types: readonly EventTypeRead[]): Suggestion[] {
  return types.map((one) => ({ value: one.type, label: [received(one), workflows(one)].filter(Boolean).join(" · ") }));
}

function received(type: EventTypeRead): string {
  return type.received ? "received" : "not received yet";
}

function workflows({ workflows: ids }: EventTypeRead): string | null {
  if (!ids.length) return null;
  const more = ids.length > NAMED ? ` and ${ids.length - NAMED} more` : "";
  return `in ${ids.slice(0, NAMED).join(", ")}${more}`;
}
