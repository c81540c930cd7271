// The seed's workflow metrics over a chosen period: runs by status over time, success rate,
// average execution time and events received, as charts; the period's totals; and the
// workflows that fail most, each linked to its failed runs in the explorer. A failed run
// retried since counts among the failed: it failed in the period.
import { useState } from "react";
import { Link } from "react-router";
import { useStats } from "../../api/workflows";
import { useSeries } from "../../api/stats";
import { ErrorNotice } from "../../components/ErrorNotice";
import { LineChart } from "../../components/charts/LineChart";
import { StackedBars } from "../../components/charts/StackedBars";
import { statusColour } from "../../components/runStatus";
import { duration } from "../../components/time";
import { percent } from "../workflows/format";
import { countTick, failingMost, PERIODS, points, runStacks, STACKS } from "./series";
import { TableScroll } from "../../components/TableScroll";
import { WorkflowName } from "../../components/WorkflowName";

export function DashboardPage() {
  const [chosen, setChosen] = useState<(typeof PERIODS)[number]>(PERIODS[1]);
  const stats = useStats(chosen.period);
  const series = useSeries(chosen.period, chosen.buckets);
  const buckets = series.data?.buckets ?? [];
  const failing = stats.data ? failingMost(stats.data.workflows, 10) : [];
  return (
    <section className="dashboard">
      <div className="page-title">
        <h1>Dashboard</h1>
        <label className="inline">
          Period
          <select value={chosen.period} onChange={(e) => setChosen(PERIODS.find((p) => p.period === e.target.value) ?? PERIODS[1])}>
            {PERIODS.map((p) => <option key={p.period} value={p.period}>{p.label}</option>)}
          </select>
        </label>
      </div>
      <ErrorNotice error={stats.error ?? series.error} />
      {stats.data && (
        <dl className="tiles" aria-label="Totals">
          <div><dt>Runs</dt><dd>{stats.data.total_executions}</dd></div>
          <div><dt>Success rate</dt><dd>{percent(stats.data.success_rate)}</dd></div>
          <div><dt>Average execution time</dt><dd>{duration(stats.data.average_execution_time)}</dd></div>
          <div><dt>Events received</dt><dd>{stats.data.total_triggers}</dd></div>
          <div><dt>Failed runs</dt><dd className={stats.data.ever_failed_executions ? "error-inline" : undefined}>{stats.data.ever_failed_executions}</dd></div>
          <div><dt>Active workflows</dt><dd>{stats.data.active_workflows}</dd></div>
        </dl>
      )}
      {series.data && (
        <div className="charts">
          <div>
            <StackedBars title="Runs by status" stacks={runStacks(buckets)} />
            <ul className="legend">
              {STACKS.map(({ status }) => <li key={status}><span style={{ background: statusColour(status) }} />{status}</li>)}
            </ul>
          </div>
          <LineChart title="Success rate (%)" points={points(buckets, "success_rate")} top={100} format={(v) => `${Math.round(v)} %`} colour="#2e7d32" />
          <LineChart title="Average execution time" points={points(buckets, "average_execution_time")} format={duration} colour="#7c4dff" />
          <LineChart title="Events received" points={points(buckets, "total_triggers")} format={countTick} />
        </div>
      )}
      <h2>Workflows that fail most</h2>
      {stats.data && failing.length === 0 && <p>No workflow had a failed run in this period.</p>}
      {failing.length > 0 && (
        <TableScroll label="Workflows that fail most">
          <table className="workflows failing">
            <thead><tr><th>Workflow</th><th>Failed runs</th><th>Failure rate (of its runs)</th><th><span className="sr-only">Runs</span></th></tr></thead>
            <tbody>
              {failing.map((one) => (
                <tr key={one.workflowId} data-workflow={one.workflowId}>
                  <td><WorkflowName id={one.workflowId} to={`/workflows/${encodeURIComponent(one.workflowId)}`} /></td>
                  <td className="error-inline">{one.failed}</td>
                  <td>{percent(one.failureRate)} <span className="muted">of {one.runs}</span></td>
                  <td><Link to={`/runs?workflow_id=${encodeURIComponent(one.workflowId)}&status=failed`}>Failed runs</Link></td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
