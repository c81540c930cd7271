// Every saved version: who saved it when, which is active; compare two; roll back; open one.
import { useState } from "react";
import { useQueries, useQueryClient } from "@tanstack/react-query";
import { fetchVersion, publishVersion, useVersions, workflowKeys, type VersionRead } from "../../api/workflows";
import { ErrorNotice } from "../../components/ErrorNotice";
import { VersionDiff } from "./VersionDiff";
import { TableScroll } from "../../components/TableScroll";

export interface VersionsPanelProps {
  workflowId: string;
  canEdit: boolean;
  onOpen: (version: VersionRead) => void;
}

export function VersionsPanel({ workflowId, canEdit, onOpen }: VersionsPanelProps) {
  const versions = useVersions(workflowId);
  const client = useQueryClient();
  const [picked, setPicked] = useState<number[]>([]);
  const [error, setError] = useState<unknown>(null);
  const documents = useQueries({
    queries: picked.map((version) => ({
      queryKey: workflowKeys.version(workflowId, version),
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchVersion(workflowId, version, signal),
      staleTime: Infinity,
    })),
  });
  const toggle = (version: number) =>
    setPicked((now) => (now.includes(version) ? now.filter((v) => v !== version) : [...now, version].slice(-2)).sort((a, b) => a - b));
  const rollback = (version: number) =>
    publishVersion(workflowId, version).then(
      () => client.invalidateQueries({ queryKey: workflowKeys.all }),
      setError,
    );
  const open = (version: number) => fetchVersion(workflowId, version).then(onOpen, setError);
  const [left, right] = documents;
  return (
    <section className="versions">
      <ErrorNotice error={versions.error ?? error} />
      <TableScroll label="Versions">
        <table className="workflows">
          <thead>
            <tr><th>Compare</th><th>Version</th><th>Saved by</th><th>When</th><th /></tr>
          </thead>
          <tbody>
            {[...(versions.data ?? [])].reverse().map((v) => (
              <tr key={v.version} data-version={v.version}>
                <td><input type="checkbox" aria-label={`Compare version ${v.version}`} checked={picked.includes(v.version)} onChange={() => toggle(v.version)} /></td>
                <td>
                  v{v.version} {v.active && <span className="badge state-enabled">active</span>}
                  {v.status === "pending_approval" && <span className="badge state-disabled">waiting for approval</span>}
                </td>
                <td>{v.created_by ?? "—"}</td>
                <td>{new Date(v.created_at).toLocaleString()}</td>
                <td className="commands">
                  <button type="button" onClick={() => open(v.version)}>Open</button>
                  {canEdit && v.status === "inactive" && <button type="button" onClick={() => rollback(v.version)}>{`Make v${v.version} active`}</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {picked.length < 2 && <p className="muted">Tick two versions to compare them side by side.</p>}
      {left?.data && right?.data && (
        <VersionDiff before={left.data.document} after={right.data.document} labels={[`v${left.data.version}`, `v${right.data.version}`]} />
      )}
    </section>
  );
}
