// The explorer's filter bar: workflow, status, user id, time range.
import { useState, type FormEvent } from "react";
import type { RunFilter } from "../../api/runs";
import { useWorkflowList, useWorkflowNames, workflowOptions } from "../../api/workflows";
import { RUN_STATUSES } from "../../components/runStatus";
import { localToIso } from "../../components/time";
import { isoToLocal } from "./filters";

export function RunFilters({ filter, onChange }: { filter: RunFilter; onChange: (filter: RunFilter) => void }) {
  const workflows = useWorkflowList(true);
  const names = useWorkflowNames();
  const options = workflowOptions(workflows.data?.items.map((one) => one.workflow_id) ?? [], names);
  const [userId, setUserId] = useState(filter.user_id ?? "");
  const set = (change: Partial<RunFilter>) => onChange({ ...filter, ...change });
  const submitUser = (event: FormEvent) => {
    event.preventDefault();
    set({ user_id: userId.trim() || undefined });
  };
  return (
    <form className="filters" onSubmit={submitUser} aria-label="Filter runs">
      <label>
        Workflow
        <select value={filter.workflow_id ?? ""} onChange={(e) => set({ workflow_id: e.target.value || undefined })}>
          <option value="">All workflows</option>
          {options.map(({ id, label }) => <option key={id} value={id} title={id}>{label}</option>)}
        </select>
      </label>
      <label>
        Status
        <select value={filter.status ?? ""} onChange={(e) => set({ status: e.target.value || undefined })}>
          <option value="">Any status</option>
          {RUN_STATUSES.map((status) => <option key={status} value={status}>{status}</option>)}
        </select>
      </label>
      <label>
        User id
        <input value={userId} onChange={(e) => setUserId(e.target.value)} onBlur={submitUser} placeholder="any user" />
      </label>
      <label>
        From
        <input type="datetime-local" value={isoToLocal(filter.since)} onChange={(e) => set({ since: localToIso(e.target.value) })} />
      </label>
      <label>
        To
        <input type="datetime-local" value={isoToLocal(filter.until)} onChange={(e) => set({ until: localToIso(e.target.value) })} />
      </label>
      <button type="button" onClick={() => { setUserId(""); onChange({}); }}>Clear</button>
    </form>
  );
}
