// An approval in words, and the body a decision sends.
import type { Approval } from "../../api/approvals";
import { when } from "../../components/time";

/** The decision's body: the comment when one was written, none otherwise. */
export function decisionBody(comment: string): { comment?: string } {
  const text = comment.trim();
  return text ? { comment: text } : {};
}

/** Where the approval stands: "Approved by key_1 at …: Budget checked." */
export function approvalState(approval: Approval): string {
  switch (approval.status) {
    case "pending":
      return approval.deadline ? `Waiting for a decision until ${when(approval.deadline)}.` : "Waiting for a decision.";
    case "not_waiting":
      return `Not waiting for a decision: the run is ${approval.run_status}.`;
    case "timed_out":
      return "Timed out before a decision: the step's on_timeout actions ran.";
    default: {
      const by = `${approval.status === "approved" ? "Approved" : "Rejected"} by ${approval.decided_by ?? "someone"}`;
      const at = approval.decided_at ? ` at ${when(approval.decided_at)}` : "";
      return `${by}${at}${approval.comment ? `: ${approval.comment}` : "."}`;
    }
  }
}
