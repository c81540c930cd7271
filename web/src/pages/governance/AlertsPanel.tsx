// The tenant's failure alert rules: each rule read in words, with a link to the failed runs
// it watches; admins replace the rules as JSON or remove them all.
import { Link } from "react-router";
import { type AlertRule, type AlertRules, useAlerts, useDeleteAlerts, usePutAlerts } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useWorkflowNames } from "../../api/workflows";
import { TableScroll } from "../../components/TableScroll";
import { JsonObjectEditor } from "./JsonObjectEditor";

const EXAMPLE: AlertRules = {
  rules: [{ rule_id: "checkout-failing", workflow_id: "checkout", window_minutes: 15, threshold: 0.25, min_runs: 10, email: ["ops@example.com"], webhook_url: null }],
};

/** A rule in words: what it watches (a workflow by its name in `names`, its id beside it)
 * and when it alerts. */
export function ruleText(rule: AlertRule, names: ReadonlyMap<string, string>): string {
  const id = rule.workflow_id;
  const name = id ? names.get(id) : undefined;
  const watched = id ? (name ? `${name} (${id})` : id) : "any workflow";
  const share = Math.round((rule.threshold ?? 0.5) * 1000) / 10;
  return `${watched}: ${share} % or more of at least ${rule.min_runs ?? 5} ended runs failed in ${rule.window_minutes ?? 60} min`;
}

/** Where a rule sends its alert. */
export function channelsText(rule: AlertRule): string {
  const to = [...(rule.email ?? []), ...(rule.webhook_url ? [rule.webhook_url] : [])];
  return to.join(", ");
}

export function AlertsPanel({ canConfigure }: { canConfigure: boolean }) {
  const alerts = useAlerts();
  return (
    <section aria-label="Failure alerts">
      <h2>Failure alerts</h2>
      <ErrorNotice error={alerts.error} />
      {alerts.data && <RuleTable rules={alerts.data.rules} />}
      {alerts.data && canConfigure && <AlertsEditor initial={alerts.data} />}
    </section>
  );
}

function RuleTable({ rules }: { rules: AlertRule[] }) {
  const names = useWorkflowNames();
  if (rules.length === 0) return <p>No alert rules: nobody is told when runs keep failing.</p>;
  return (
    <TableScroll label="Alert rules">
      <table className="workflows">
        <thead><tr><th>Rule</th><th>Alerts when</th><th>Sent to</th><th /></tr></thead>
        <tbody>
          {rules.map((rule) => (
            <tr key={rule.rule_id} data-rule={rule.rule_id}>
              <td>{rule.rule_id}</td>
              <td>{ruleText(rule, names)}</td>
              <td>{channelsText(rule)}</td>
              <td>
                <Link to={rule.workflow_id ? `/runs?${new URLSearchParams({ workflow_id: rule.workflow_id, status: "failed" })}` : "/runs?status=failed"}>
                  Failed runs
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function AlertsEditor({ initial }: { initial: AlertRules }) {
  const save = usePutAlerts();
  const remove = useDeleteAlerts();
  const help = (
    <>
      Each rule: <code>rule_id</code>, <code>workflow_id</code> (null: every workflow), <code>window_minutes</code>, <code>threshold</code>,{" "}
      <code>min_runs</code>, <code>email</code> and/or <code>webhook_url</code> (see docs/api.md). Saving replaces them all; an alert is sent once per window.
    </>
  );
  const removeAll = initial.rules.length > 0 && (
    <button type="button" disabled={remove.isPending} onClick={() => remove.mutate(undefined)}>Remove every rule</button>
  );
  return (
    <JsonObjectEditor name="alert rules" label="Alert rules (JSON)" initial={initial.rules.length ? initial : EXAMPLE} help={help}
      save={save} commands={removeAll} commandError={remove.error} />
  );
}
