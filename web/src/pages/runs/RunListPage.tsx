// The Execution Explorer: the tenant's runs, newest first, filtered and paged by the API,
// refreshing while any run shown is live; admins and editors act on every run it matches.
import { Link, useSearchParams } from "react-router";
import { useRuns, type RunFilter } from "../../api/runs";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Pager, usePages } from "../../components/Pager";
import { StatusBadge } from "../../components/StatusBadge";
import { when, duration, secondsBetween } from "../../components/time";
import { isLive } from "../../components/runStatus";
import { useSession } from "../../components/SessionContext";
import { BulkControl } from "./BulkControl";
import { emptyListText } from "../../components/addressFilter";
import { filterFrom, paramsFrom } from "./filters";
import { FindById } from "./FindById";
import { RunFilters } from "./RunFilters";
import { TableScroll } from "../../components/TableScroll";
import { WorkflowName } from "../../components/WorkflowName";

const FIRST_RUN =
  "a run starts when an event matches an active workflow's trigger. Send one from a workflow's Test tab, or to POST /api/events.";

export function RunListPage() {
  const [params, setParams] = useSearchParams();
  const filter = filterFrom(params);
  const pages = usePages();
  const { canControlRuns } = useSession();
  const runs = useRuns(filter, pages.after);
  const change = (next: RunFilter) => {
    pages.reset();
    setParams(paramsFrom(next));
  };
  const next = runs.data?.next_after;
  return (
    <section>
      <div className="page-title">
        <h1>Runs</h1>
        {runs.data?.items.some((run) => isLive(run.status)) && <span className="muted">refreshing while runs are live</span>}
        <FindById />
        <Link to="/runs?status=waiting">Waiting runs and approvals</Link>
      </div>
      {/* Both are made anew for each address (a typed user id, a dry run's count start over);
          siblings need keys of their own, or React keeps the old bar beside the new one. */}
      <RunFilters key={`filters?${params.toString()}`} filter={filter} onChange={change} />
      {canControlRuns && <BulkControl key={`bulk?${params.toString()}`} filter={filter} />}
      <ErrorNotice error={runs.error} />
      {runs.isPending && <p>Loading…</p>}
      {runs.data && runs.data.items.length === 0 && <p>{emptyListText(filter, "runs", FIRST_RUN)}</p>}
      {runs.data && runs.data.items.length > 0 && (
        <TableScroll label="Runs">
          <table className="workflows runs">
            <thead>
              <tr>
                <th>Run</th><th>Workflow</th><th>Status</th><th>User</th><th>Started</th><th>Last change</th><th>Error</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.items.map((run) => (
                <tr key={run.run_id} data-run={run.run_id} data-status={run.status}>
                  <td><Link to={`/runs/${encodeURIComponent(run.run_id)}`}><code>{run.run_id}</code></Link></td>
                  <td><WorkflowName id={run.workflow_id} /> <span className="muted">v{run.version}</span></td>
                  <td>
                    <StatusBadge status={run.status} />
                    {run.approval_id && <> <Link className="awaits-approval" to={`/runs/${encodeURIComponent(run.run_id)}`}>awaits approval</Link></>}
                  </td>
                  <td>{run.user_id ?? <span className="muted">–</span>}</td>
                  <td>{when(run.created_at)}</td>
                  <td>{when(run.updated_at)} <span className="muted">+{duration(secondsBetween(run.created_at, run.updated_at))}</span></td>
                  <td className="error-inline">{typeof run.error?.["message"] === "string" ? run.error["message"] : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <Pager pages={pages} next={next} />
    </section>
  );
}
