// A version waiting for another key's approval (four-eyes publishing): who asked and when;
// approve or reject for anyone else who may edit, withdraw for the key that asked.
import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { decideVersion, useWorkflow, workflowKeys, type PublishDecision, type WorkflowRead } from "../../api/workflows";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useSession } from "../../components/SessionContext";

export interface PendingApprovalProps {
  workflowId: string;
  onDecided: (result: WorkflowRead, decision: PublishDecision, version: number) => void;
}

export function PendingApproval({ workflowId, onDecided }: PendingApprovalProps) {
  const { session, canEdit } = useSession();
  const workflow = useWorkflow(workflowId);
  const client = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const pending = workflow.data?.pending_approval;
  if (!pending) return null;
  const own = pending.requested_by === session.key_id;
  const decide = async (decision: PublishDecision) => {
    setBusy(true);
    try {
      const result = await decideVersion(workflowId, pending.version, decision);
      setError(null);
      onDecided(result, decision, pending.version);
      await client.invalidateQueries({ queryKey: workflowKeys.all });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="pending-approval" aria-label="Waiting for approval">
      <p>
        <span className="badge state-disabled">waiting for approval</span>{" "}
        Version {pending.version}, published by {own ? "you" : pending.requested_by} on{" "}
        {new Date(pending.requested_at).toLocaleString()}, becomes active once another key approves it.
        {own && " Another person must approve it."}
      </p>
      {canEdit && (
        <div className="toolbar">
          {!own && <button type="button" className="primary" disabled={busy} onClick={() => decide("approve")}>{`Approve v${pending.version}`}</button>}
          <button type="button" disabled={busy} onClick={() => decide("reject")}>{own ? "Withdraw" : "Reject"}</button>
        </div>
      )}
      <ErrorNotice error={error} />
    </section>
  );
}
