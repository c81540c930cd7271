// One workflow in the list: its state, runs, and the commands the role allows.
import { Link } from "react-router";
import type { components } from "../../api/schema";
import { exportWorkflow, useHeadCommand, type WorkflowSummary } from "../../api/workflows";
import { useSession } from "../../components/SessionContext";
import { ErrorNotice } from "../../components/ErrorNotice";
import { downloadJson } from "../../components/download";
import { percent } from "./format";

type Metrics = components["schemas"]["WorkflowMetrics"];

// Each count links to those runs in the explorer; a count of none is plain text. The runs in
// progress are pending, running, waiting or paused, which no one status filter holds: they
// link to all the workflow's runs, newest first.
function RunCounts({ id, metrics }: { id: string; metrics: Metrics | undefined }) {
  if (!metrics) return <span className="muted">no runs</span>;
  const runs = `/runs?workflow_id=${encodeURIComponent(id)}`;
  const counts = [
    { label: "completed", count: metrics.successful_executions, to: `${runs}&status=completed` },
    { label: "failed", count: metrics.failed_executions, to: `${runs}&status=failed` },
    { label: "in progress", count: metrics.running_executions, to: runs, title: "pending, running, waiting or paused" },
  ];
  return (
    <span className="run-counts">
      {counts.map(({ label, count, to, title }, index) => (
        <span key={label} title={title}>
          {index > 0 && " · "}
          {count > 0 ? <Link to={to}>{count} {label}</Link> : `0 ${label}`}
        </span>
      ))}
    </span>
  );
}

export function WorkflowRow({ workflow, metrics }: { workflow: WorkflowSummary; metrics: Metrics | undefined }) {
  const { canEdit } = useSession();
  const command = useHeadCommand();
  const id = workflow.workflow_id;
  const run = (name: "enable" | "disable" | "archive") => command.mutate({ id, command: name });
  const download = () => exportWorkflow(id).then((doc) => downloadJson(`${id}.json`, doc));
  const state = workflow.archived ? "archived" : workflow.enabled ? "enabled" : "disabled";
  return (
    <tr data-workflow={id}>
      <td>
        <Link to={`/workflows/${encodeURIComponent(id)}`}>{workflow.name}</Link>
        <div className="muted">{id}</div>
        {workflow.tags.length > 0 && (
          <div className="tags">
            {workflow.tags.map((tag) => (
              <Link key={tag} className="badge tag" to={`/?tag=${encodeURIComponent(tag)}`} title={`Only the workflows tagged ${tag}`}>{tag}</Link>
            ))}
          </div>
        )}
      </td>
      <td><code>{workflow.trigger_type}</code></td>
      <td><span className={`badge state-${state}`}>{state}</span></td>
      <td>
        {workflow.active_version ?? "draft only"} <span className="muted">/ {workflow.latest_version}</span>
        {workflow.pending_version !== null && (
          <div><span className="badge state-disabled">{`v${workflow.pending_version} waiting for approval`}</span></div>
        )}
      </td>
      <td>
        <RunCounts id={id} metrics={metrics} />
      </td>
      <td>{percent(metrics?.success_rate)}</td>
      <td>
        <div className="commands">
        {canEdit && !workflow.archived && (
          <>
            {workflow.enabled
              ? <button type="button" onClick={() => run("disable")}>Disable</button>
              : <button type="button" onClick={() => run("enable")}>Enable</button>}
            <button type="button" onClick={() => run("archive")}>Archive</button>
          </>
        )}
        <button type="button" onClick={download}>Export</button>
        </div>
        <ErrorNotice error={command.error} />
      </td>
    </tr>
  );
}
