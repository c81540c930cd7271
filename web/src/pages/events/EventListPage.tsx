// The event log: the tenant's events newest first, filtered by type and user, each with the
// runs it started; one event's data, skipped workflows and a replay button beside the list,
// whose answer links to the runs the replay started.
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useEvent, useEvents, useReplay, type EventFilter } from "../../api/events";
import { ErrorNotice } from "../../components/ErrorNotice";
import { FilterText } from "../../components/forms/FilterText";
import { Pager, usePages } from "../../components/Pager";
import { SentEvent } from "../../components/SentEvent";
import { StatusBadge } from "../../components/StatusBadge";
import { useSession } from "../../components/SessionContext";
import { when } from "../../components/time";
import { emptyListText } from "../../components/addressFilter";
import { TableScroll } from "../../components/TableScroll";
import { WorkflowName } from "../../components/WorkflowName";

const FIRST_EVENT =
  "your systems send them to POST /api/events (automator send-event sends one, and so does a workflow's Test tab).";

export function EventListPage() {
  const [params, setParams] = useSearchParams();
  const filter: EventFilter = { type: params.get("type") ?? undefined, user_id: params.get("user_id") ?? undefined };
  const pages = usePages();
  // ?event=ID: the Runs page's "Run or event id" box opens one event.
  const [chosen, setChosen] = useState<string | undefined>(params.get("event") ?? undefined);
  const events = useEvents(filter, pages.after);
  const next = events.data?.next_after;
  const change = (name: "type" | "user_id", value: string) => {
    const updated = new URLSearchParams(params);
    if (value) updated.set(name, value);
    else updated.delete(name);
    pages.reset();
    setParams(updated);
  };
  return (
    <section>
      <div className="page-title">
        <h1>Events</h1>
      </div>
      <form className="toolbar" onSubmit={(e) => e.preventDefault()}>
        <FilterText label="Event type" name="type" value={filter.type} placeholder="any type" onApply={(value) => change("type", value)} />
        <FilterText label="User id" name="user_id" value={filter.user_id} placeholder="any user" onApply={(value) => change("user_id", value)} />
      </form>
      <ErrorNotice error={events.error} />
      {events.isPending && <p>Loading…</p>}
      {events.data && events.data.items.length === 0 && <p>{emptyListText(filter, "events", FIRST_EVENT)}</p>}
      {events.data && events.data.items.length > 0 && (
        <TableScroll label="Events">
          <table className="workflows runs">
            <thead>
              <tr>
                <th>Event</th><th>Type</th><th>User</th><th>Received</th><th>Runs</th><th>Skipped</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((event) => (
                <tr key={event.event_id} data-event={event.event_id}>
                  <td>
                    <button type="button" className="link" onClick={() => setChosen(event.event_id)}>
                      <code>{event.event_id}</code>
                    </button>
                    {event.replay_of && <span className="muted"> replays {event.replay_of}</span>}
                  </td>
                  <td>{event.type}</td>
                  <td>{event.user_id ?? <span className="muted">–</span>}</td>
                  <td>{when(event.received_at)}</td>
                  <td>
                    {event.run_ids.map((id) => (
                      <Link key={id} to={`/runs/${encodeURIComponent(id)}`}><code>{id}</code></Link>
                    ))}
                  </td>
                  <td>{Object.keys(event.skipped).length || ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <Pager pages={pages} next={next} />
      {chosen && <EventDetail key={chosen} id={chosen} />}
    </section>
  );
}

function EventDetail({ id }: { id: string }) {
  const event = useEvent(id);
  const { canEdit } = useSession();
  const replay = useReplay(id);
  if (event.error) return <ErrorNotice error={event.error} />;
  if (!event.data) return <p>Loading…</p>;
  const skipped = Object.entries(event.data.skipped);
  return (
    <aside className="panel" aria-label="Event">
      <h2>{event.data.type} <code>{id}</code></h2>
      <pre>{JSON.stringify({ user: event.data.user, data: event.data.data }, null, 2)}</pre>
      <h3>Runs</h3>
      <ul>
        {event.data.runs.map((run) => (
          <li key={run.run_id}>
            <WorkflowName id={run.workflow_id} to={`/runs/${encodeURIComponent(run.run_id)}`} /> <StatusBadge status={run.status} />
          </li>
        ))}
      </ul>
      {skipped.length > 0 && (
        <>
          <h3>Skipped</h3>
          <ul>
            {skipped.map(([workflow, reason]) => (
              <li key={workflow} data-skipped={workflow}><WorkflowName id={workflow} />: {reason}</li>
            ))}
          </ul>
        </>
      )}
      {canEdit && (
        <button type="button" disabled={replay.isPending} onClick={() => replay.mutate(undefined)}>
          Replay
        </button>
      )}
      <ErrorNotice error={replay.error} />
      {replay.data && <SentEvent accepted={replay.data} />}
    </aside>
  );
}
