// The approval a run waits at: its message and where it stands, for everyone; admins and
// editors approve or reject it here, with an optional comment kept with the decision.
import { useState } from "react";
import { useApproval, useDecide, type Decision } from "../../api/approvals";
import { ErrorNotice } from "../../components/ErrorNotice";
import { approvalState, decisionBody } from "./approval";

export function ApprovalPanel({ approvalId, canDecide }: { approvalId: string; canDecide: boolean }) {
  const approval = useApproval(approvalId);
  const decide = useDecide(approvalId);
  const [comment, setComment] = useState("");
  const send = (decision: Decision) => decide.mutate({ decision, body: decisionBody(comment) });
  const data = approval.data;
  return (
    <section className="card approval" aria-label="Approval" data-approval={approvalId} data-state={data?.status}>
      <h2>Approval</h2>
      <ErrorNotice error={approval.error} />
      {data && (
        <>
          {data.message && <p className="approval-message">{data.message}</p>}
          <p role="status">{approvalState(data)}</p>
          {canDecide && data.status === "pending" && (
            <div className="approval-decide">
              <label>Comment (optional) <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} maxLength={2000} /></label>
              <button type="button" className="primary" disabled={decide.isPending} onClick={() => send("approve")}>Approve</button>
              <button type="button" className="danger" disabled={decide.isPending} onClick={() => send("reject")}>Reject</button>
            </div>
          )}
        </>
      )}
      <ErrorNotice error={decide.error} />
    </section>
  );
}

/** The approval of the run shown, kept once decided: the run drops its `approval_id` as soon
 * as it goes on, and the decision should stay in sight. */
export function RunApproval({ approvalId, canDecide }: { approvalId: string | null; canDecide: boolean }) {
  const [shown, setShown] = useState(approvalId);
  if (approvalId && approvalId !== shown) setShown(approvalId);
  const id = approvalId ?? shown;
  return id ? <ApprovalPanel key={id} approvalId={id} canDecide={canDecide} /> : null;
}
