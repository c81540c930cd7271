// What starts the workflow: an event type (offered from those received and those other
// workflows use), or a schedule (cron, time zone).
import { useEventTypes } from "../../api/events";
import { eventTypeSuggestions } from "../../components/eventTypes";
import { SuggestionList } from "../../components/SuggestionList";
export interface TriggerDraft {
  kind: "event" | "schedule";
  eventType: string;
  cron: string;
  timezone: string;
}

export function TriggerChoice({ value, onChange }: { value: TriggerDraft; onChange: (next: TriggerDraft) => void }) {
  const set = (change: Partial<TriggerDraft>) => onChange({ ...value, ...change });
  const eventTypes = useEventTypes();
  const suggestions = eventTypes.data ? eventTypeSuggestions(eventTypes.data.items) : [];
  return (
    <fieldset>
      <legend>3. Choose the trigger</legend>
      <label className="inline">
        <input type="radio" name="trigger-kind" checked={value.kind === "event"} onChange={() => set({ kind: "event" })} /> An event
      </label>
      <label className="inline">
        <input type="radio" name="trigger-kind" checked={value.kind === "schedule"} onChange={() => set({ kind: "schedule" })} /> A schedule
      </label>
      {value.kind === "event" ? (
        <>
          <label htmlFor="event-type">Event type</label>
          <input id="event-type" value={value.eventType} onChange={(e) => set({ eventType: e.target.value })} required placeholder="order_placed"
            list={suggestions.length ? "event-type-suggestions" : undefined} aria-describedby="event-type-hint" />
          <SuggestionList id="event-type-suggestions" suggestions={suggestions} />
          <span id="event-type-hint" className="muted">Types your systems sent or other workflows use are offered; a new one may be typed.</span>
        </>
      ) : (
        <>
          <label htmlFor="cron">Cron</label>
          <input id="cron" value={value.cron} onChange={(e) => set({ cron: e.target.value })} required placeholder="0 9 * * 1-5" />
          <label htmlFor="timezone">Time zone</label>
          <input id="timezone" value={value.timezone} onChange={(e) => set({ timezone: e.target.value })} placeholder="Europe/Berlin" />
        </>
      )}
    </fieldset>
  );
}
