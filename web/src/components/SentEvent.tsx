// What a real event sent from the Test tab, or an event replayed, did: the runs it started,
// each linked to its page in the Execution Explorer, the workflows it skipped and why, or the
// API's notice that no active workflow listens to its type.
import { Link } from "react-router";
import type { EventAccepted } from "../api/events";

export interface SentEventProps {
  accepted: EventAccepted;
  /** The workflow whose runs the Explorer lists after (a replay of every workflow: none). */
  workflowId?: string | undefined;
}

export function SentEvent({ accepted, workflowId }: SentEventProps) {
  const skipped = Object.entries(accepted.skipped);
  return (
    <div className="panel sent-event" role="status" aria-label="Sent event">
      <p>
        Event <code>{accepted.event_id}</code> {accepted.duplicate ? "was a repeat of an earlier one (same idempotency key)" : "accepted"}:{" "}
        {accepted.run_ids.length === 1 ? "1 run started" : `${accepted.run_ids.length} runs started`}.
      </p>
      {accepted.notice && <p className="error-inline">{accepted.notice}</p>}
      {accepted.run_ids.length > 0 && (
        <ul>
          {accepted.run_ids.map((id) => (
            <li key={id}>
              <Link to={`/runs/${encodeURIComponent(id)}`}>Follow run <code>{id}</code></Link>
            </li>
          ))}
        </ul>
      )}
      {skipped.length > 0 && (
        <ul>
          {skipped.map(([workflow, reason]) => (
            <li key={workflow} data-skipped={workflow}>{workflow} started no run: {reason}</li>
          ))}
        </ul>
      )}
      {workflowId !== undefined && (
        <p>
          <Link to={`/runs?workflow_id=${encodeURIComponent(workflowId)}`}>This workflow's runs in the Execution Explorer</Link>
        </p>
      )}
    </div>
  );
}
