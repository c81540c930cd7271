// Retry, cancel, pause or resume every run the explorer's filters match (admins and editors):
// first a dry run says how many runs it will touch, then, once confirmed, a background job
// works through them and its progress shows until it is done, each refusal with its reason.
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { useBulkJob, useBulkRequest, type BulkAction } from "../../api/bulk";
import type { RunFilter } from "../../api/runs";
import { ErrorNotice } from "../../components/ErrorNotice";
import { BULK_ACTIONS, planText, planWarning, progressText, runs } from "./bulk";

const LABELS: Readonly<Record<BulkAction, string>> = {
  retry: "Retry", cancel: "Cancel", pause: "Pause", resume: "Resume",
};

interface Plan {
  action: BulkAction;
  matched: number;
}

export function BulkControl({ filter }: { filter: RunFilter }) {
  const request = useBulkRequest();
  const [plan, setPlan] = useState<Plan | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const preview = (action: BulkAction) => {
    setPlan(null);
    setJobId(null);
    request.mutate({ action, filter, dry_run: true }, { onSuccess: ({ matched }) => setPlan({ action, matched }) });
  };
  const start = (chosen: Plan) =>
    request.mutate({ action: chosen.action, filter, dry_run: false }, {
      onSuccess: ({ job_id }) => {
        setPlan(null);
        setJobId(job_id);
      },
    });
  return (
    <section className="card bulk" aria-label="Bulk run control">
      <div className="toolbar" role="group" aria-label="Every run matching these filters">
        <span className="muted">Every run matching these filters:</span>
        {BULK_ACTIONS.map((action) => (
          <button key={action} type="button" disabled={request.isPending} onClick={() => preview(action)}>
            {LABELS[action]} all…
          </button>
        ))}
      </div>
      {plan && <Confirm plan={plan} filter={filter} busy={request.isPending} onConfirm={() => start(plan)} onDismiss={() => setPlan(null)} />}
      <ErrorNotice error={request.error} />
      {jobId && <Progress jobId={jobId} />}
    </section>
  );
}

function Confirm({ plan, filter, busy, onConfirm, onDismiss }: {
  plan: Plan; filter: RunFilter; busy: boolean; onConfirm: () => void; onDismiss: () => void;
}) {
  const warning = plan.matched > 0 ? planWarning(plan.action, filter) : null;
  return (
    <div className="bulk-plan" role="status" aria-label="Bulk plan">
      <p><strong>{planText(plan.action, plan.matched)}</strong>{warning && <> {warning}</>}</p>
      {plan.matched > 0 && (
        <button type="button" className={plan.action === "cancel" ? "danger" : "primary"} disabled={busy} onClick={onConfirm}>
          {LABELS[plan.action]} {runs(plan.matched)}
        </button>
      )}
      <button type="button" onClick={onDismiss}>Not now</button>
    </div>
  );
}

function Progress({ jobId }: { jobId: string }) {
  const job = useBulkJob(jobId);
  const client = useQueryClient();
  const completed = job.data?.status === "completed";
  useEffect(() => {
    if (completed) void client.invalidateQueries({ queryKey: ["runs", "list"] });
  }, [completed, client]);
  if (job.error) return <ErrorNotice error={job.error} />;
  if (!job.data) return <p>Starting…</p>;
  const data = job.data;
  return (
    <div className="bulk-progress" data-job={data.job_id} data-state={data.status}>
      <progress value={data.done} max={Math.max(data.matched, 1)} aria-label="Bulk progress" />
      <p role="status" aria-label="Bulk progress text">{progressText(data)}</p>
      {data.refused.length > 0 && (
        <ul aria-label="Refused runs">
          {data.refused.map((refusal) => (
            <li key={refusal.run_id}>
              <Link to={`/runs/${encodeURIComponent(refusal.run_id)}`}><code>{refusal.run_id}</code></Link>: {refusal.reason}
            </li>
          ))}
          {data.refused_count > data.refused.length && <li className="muted">and {data.refused_count - data.refused.length} more</li>}
        </ul>
      )}
    </div>
  );
}
