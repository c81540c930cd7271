// What starts the workflow: an event type, or a schedule (cron, time zone).
export interface TriggerDraft {
  kind: "event" | "schedule";
  eventType: string;
  cron: string;
  timezone: string;
}

export function TriggerChoice({ value, onChange }: { value: TriggerDraft; onChange: (next: TriggerDraft) => void }) {
  const set = (change: Partial<TriggerDraft>) => onChange({ ...value, ...change });
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
          <input id="event-type" value={value.eventType} onChange={(e) => set({ eventType: e.target.value })} required placeholder="order_placed" />
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
