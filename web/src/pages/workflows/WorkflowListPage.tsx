// The tenant's workflows with their state and last 24 h of runs; commands for editors.
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useImport, useStats, useWorkflowList, exportAll } from "../../api/workflows";
import { useSession } from "../../components/SessionContext";
import { ErrorNotice } from "../../components/ErrorNotice";
import { downloadJson } from "../../components/download";
import { WorkflowRow } from "./WorkflowRow";
import { ImportButton, ImportResults } from "./ImportWorkflows";
import { TableScroll } from "../../components/TableScroll";

export function WorkflowListPage() {
  const [includeArchived, setIncludeArchived] = useState(false);
  const [params, setParams] = useSearchParams();
  const tag = params.get("tag");
  const list = useWorkflowList(includeArchived, tag);
  const stats = useStats("24h");
  const { canEdit } = useSession();
  const importer = useImport();
  const [exportError, setExportError] = useState<unknown>(null);
  const exportEverything = () =>
    exportAll().then((documents) => downloadJson("workflows.json", documents), setExportError);
  return (
    <section>
      <div className="page-title">
        <h1>Workflows</h1>
        <div className="toolbar">
          {canEdit && <Link className="button" to="/wizard">New workflow</Link>}
          {canEdit && <ImportButton busy={importer.isPending} onFiles={(files) => importer.mutate(files)} />}
          <button type="button" onClick={exportEverything}>Export all</button>
        </div>
      </div>
      <ImportResults report={importer.data} error={importer.error} />
      <label className="inline">
        <input type="checkbox" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} />
        Show archived
      </label>
      {tag !== null && (
        <p className="tag-filter">
          Tagged <span className="badge tag">{tag}</span>{" "}
          <button type="button" onClick={() => setParams({})}>Show every tag</button>
        </p>
      )}
      <ErrorNotice error={list.error ?? exportError} />
      {list.isPending && <p>Loading…</p>}
      {list.data && list.data.items.length === 0 && <p>{tag === null ? <NoneYet canEdit={canEdit} /> : `No workflow is tagged ${tag}.`}</p>}
      {list.data && list.data.items.length > 0 && (
        <TableScroll label="Workflows">
          <table className="workflows">
            <thead>
              <tr>
                <th>Workflow</th>
                <th>Trigger</th>
                <th>State</th>
                <th>Active version</th>
                <th>Runs (24 h)</th>
                <th>Success (24 h)</th>
                <th><span className="sr-only">Commands</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((workflow) => (
                <WorkflowRow key={workflow.workflow_id} workflow={workflow} metrics={stats.data?.workflows[workflow.workflow_id]} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

/** An empty list says where a first workflow comes from, to someone who may make one. */
function NoneYet({ canEdit }: { canEdit: boolean }) {
  if (!canEdit) return <>No workflows yet.</>;
  return <>No workflows yet: <Link to="/wizard">create your first workflow</Link> (New workflow), or import them.</>;
}
