// One run: its state, the event that started it, what it waits for (an approval: decided
// here), its family, the run-control buttons (not for viewers), its variables (changed by
// admins and editors), the timeline of its steps, its history and a link to its audit entries.
import { lazy, Suspense } from "react";
import { Link, useParams } from "react-router";
import { useReplayInto } from "../../api/events";
import { useRun, type RunRead } from "../../api/runs";
import { useWorkflow } from "../../api/workflows";
import { ErrorNotice } from "../../components/ErrorNotice";
import { FixableMessage } from "../../components/FixLink";
import { JsonText } from "../../components/JsonText";
import { StatusBadge } from "../../components/StatusBadge";
import { useSession } from "../../components/SessionContext";
import { isLive } from "../../components/runStatus";
import { duration, when } from "../../components/time";
import { RunApproval } from "./ApprovalPanel";
import { failureHeading, retryReason, runFailure } from "./errorText";
import { RunControls } from "./RunControls";
import { RunFamily } from "./RunFamily";
import { RunVariables } from "./RunVariables";
import { StepTimeline } from "./StepTimeline";
import { pausedWaitText } from "./pausedWait";
import { sentence } from "../../workflow/catalogue";
import { SentEvent } from "../../components/SentEvent";
import { WorkflowName } from "../../components/WorkflowName";

const RunPath = lazy(() => import("./RunPath"));

export function RunPage() {
  const { id = "" } = useParams();
  const run = useRun(id);
  const { canControlRuns, canGovern } = useSession();
  if (run.isPending) return <p>Loading…</p>;
  if (run.error) return <ErrorNotice error={run.error} />;
  const data = run.data;
  const failure = runFailure(data.error);
  return (
    <section className="run-page" data-run={data.run_id} data-status={data.status}>
      <p><Link to="/runs">← Runs</Link></p>
      <div className="page-title">
        <h1><code>{data.run_id}</code> <StatusBadge status={data.status} /></h1>
        {keptInOutbox(data) && <Link to={`/outbox?run_id=${encodeURIComponent(data.run_id)}`}>Messages it sent (outbox)</Link>}
        {canGovern && (
          <Link to={`/governance/audit?entity_type=run&entity_id=${encodeURIComponent(data.run_id)}`}>Audit entries</Link>
        )}
      </div>
      <dl className="facts">
        <dt>Workflow</dt><dd><WorkflowName id={data.workflow_id} to={`/workflows/${encodeURIComponent(data.workflow_id)}`} /> <RunVersion run={data} /></dd>
        <dt>User</dt><dd>{data.user_id ?? "–"}</dd>
        <dt>Started</dt><dd>{when(data.created_at)}</dd>
        <dt>Last change</dt><dd>{when(data.updated_at)}{isLive(data.status) && <span className="muted"> · refreshing</span>}</dd>
        <dt>Execution time</dt><dd>{duration(data.active_seconds)} <span className="muted">(delays and waits excluded)</span></dd>
        <CurrentStep run={data} />
        {Object.keys(data.variants).length > 0 && (
          <><dt>Variants</dt><dd>{Object.entries(data.variants).map(([split, name]) => `${split}: ${name}`).join(", ")}</dd></>
        )}
        {data.converted && <><dt>Converted</dt><dd>{String(data.converted["type"] ?? "")} at {when(String(data.converted["at"] ?? ""))}</dd></>}
      </dl>
      {failure && (
        <div role="alert" className="error">
          <strong>{failureHeading(data.status)}</strong> <FixableMessage message={failure} /><StepInEditor run={data} />
        </div>
      )}
      <PinnedVersion run={data} />
      {canControlRuns && <RunControls run={data} />}
      <RunApproval approvalId={data.approval_id} canDecide={canControlRuns} />
      <Waiting run={data} />
      <RunVariables run={data} canChange={canControlRuns} />
      <RunFamily run={data} />
      <section className="card">
        <h2>Path taken</h2>
        <Suspense fallback={<p>Loading the canvas…</p>}>
          <RunPath workflowId={data.workflow_id} version={data.version} steps={data.steps} />
        </Suspense>
      </section>
      <section className="card">
        <h2>Steps</h2>
        <StepTimeline steps={data.steps} runStart={data.created_at} />
      </section>
      <section className="card">
        <h2>Event that started it</h2>
        <p className="muted">Event <code>{data.event_id}</code>: its data at the root, then <code>user</code>, <code>event</code> and, when it names a user, their <code>profile</code> as it stood.</p>
        <JsonText value={data.context} label="Event data" />
      </section>
      <section className="card">
        <h2>History</h2>
        <ol className="history">
          {data.history.map((change, i) => (
            <li key={i}>{when(String(change["at"]))}: {String(change["from"])} → <StatusBadge status={String(change["to"])} /> <span className="muted">{String(change["reason"] ?? "")}</span></li>
          ))}
        </ol>
      </section>
    </section>
  );
}

/** The step the run is at or goes to next (where a failed or cancelled one stopped), as the
 * workflow's author named it; the compiled position only in the tooltip. */
function CurrentStep({ run }: { run: RunRead }) {
  const step = run.current_step;
  const stopped = run.status === "failed" || run.status === "cancelled";
  const retried = step ? retryReason(run.steps, step.id) : null;
  if (!step) return <><dt>Current step</dt><dd className="muted">none: the run has ended</dd></>;
  return (
    <>
      <dt>{stopped ? "Stopped at" : "Current step"}</dt>
      <dd data-current-step={step.id} title={`position ${run.step} in the compiled workflow`}>
        <strong>{step.name ?? step.id}</strong>{step.name && <> <code>{step.id}</code></>} <span className="muted">{sentence(step.type)}</span>
        , attempt {run.attempt}<DueText run={run} />
        {!stopped && retried && <div className="error-inline" role="note" aria-label="Why it retries">Retrying after: {retried}</div>}
      </dd>
    </>
  );
}

/** When the run's step is due; for a run paused in a delay or a back-off, what that wait has
 * left instead: its end (`due_at`) moves with the pause, as the resume counts what was left. */
function DueText({ run }: { run: RunRead }) {
  if (run.paused_wait) return <> · {pausedWaitText(run.paused_wait)}</>;
  return run.due_at ? <> · due {when(run.due_at)}</> : null;
}

/** Where a failed run stopped, opened in the editor: the step to fix (in the workflow's
 * latest version) was otherwise to be found again on the canvas by its id. */
function StepInEditor({ run }: { run: RunRead }) {
  const step = run.current_step;
  if (run.status !== "failed" || !step) return null;
  const to = `/workflows/${encodeURIComponent(run.workflow_id)}?step=${encodeURIComponent(step.id)}`;
  return <> <Link to={to}>Open {step.name ?? step.id} in the editor</Link></>;
}

/** The run's version, marked "(active)" once the workflow's answer says it is (the note
 * below says when another one is). */
function RunVersion({ run }: { run: RunRead }) {
  const active = useWorkflow(run.workflow_id).data?.active_version;
  return <>version {run.version}{active === run.version && " (active)"}</>;
}

/** A run that can still go on keeps to the version it started on: a marketer who fixed the
 * workflow and published it would otherwise retry the run and see it fail the same way. */
function PinnedVersion({ run }: { run: RunRead }) {
  const workflow = useWorkflow(run.workflow_id);
  const { canControlRuns } = useSession();
  const active = workflow.data?.active_version;
  const goesOn = run.status === "failed" || isLive(run.status);
  if (!goesOn || active === undefined || active === null || active === run.version) return null;
  return (
    <div className="note" role="note" aria-label="Version of this run">
      <p>
        This run keeps to version {run.version}, the one it started on: Retry, Resume and Skip step go on with its steps.
        Version {active}, active now, applies to runs started after it was published.
      </p>
      {run.status === "failed" && canControlRuns && <RunAgain run={run} version={active} />}
    </div>
  );
}

/** The fixed workflow's next step for a failed run: its event accepted again for this
 * workflow alone (other workflows listening to its type do not start twice). */
function RunAgain({ run, version }: { run: RunRead; version: number }) {
  const replay = useReplayInto(run.event_id, run.workflow_id);
  return (
    <>
      <button type="button" disabled={replay.isPending} onClick={() => replay.mutate(undefined)}>
        Run its event again on version {version}
      </button>
      <ErrorNotice error={replay.error} />
      {replay.data && <SentEvent accepted={replay.data} workflowId={run.workflow_id} />}
    </>
  );
}

/** Whether a step of the run delivered its message to the dev outbox. */
function keptInOutbox(run: RunRead): boolean {
  return run.steps.some((step) => (step.output as { delivered_to?: unknown } | null)?.delivered_to === "outbox");
}

function Waiting({ run }: { run: RunRead }) {
  if (!run.wait && run.listeners.length === 0) return null;
  return (
    <section className="card">
      <h2>Waiting for</h2>
      {run.wait && (
        <p>
          Step <code>{run.wait.step_id}</code> waits for event <code>{run.wait.event}</code>
          {Object.keys(run.wait.match).length > 0 && <> matching <code>{JSON.stringify(run.wait.match)}</code></>} until{" "}
          <strong>{when(run.wait.deadline)}</strong>
          {run.wait.answered ? " — an event answered; the run is due to go on." : ", then its on_timeout actions run."}
        </p>
      )}
      {run.listeners.length > 0 && (
        <ul>
          {run.listeners.map((listener, i) => (
            <li key={i}>
              <code>{listener.event}</code> {Object.keys(listener.match).length > 0 && <code>{JSON.stringify(listener.match)}</code>}:{" "}
              {listener.on === "cancel" ? "cancels the run" : listener.on === "goal" ? "marks it converted" : "marks it converted and ends it"}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
