// /studio/workflows/:id — a saved workflow on the canvas (`?step=ID` opens that step in the
// inspector); /studio/wizard/canvas — a new one the wizard made (kept in the history entry's
// state, so a reload keeps it).
import { useLocation, useParams, useSearchParams, Navigate } from "react-router";
import type { DraftRead } from "../../api/copilot";
import { useWorkflow } from "../../api/workflows";
import { ErrorNotice } from "../../components/ErrorNotice";
import type { WorkflowDocument } from "../../workflow/document";
import { CopilotNotes } from "../wizard/CopilotNotes";
import { WorkflowEditor } from "./WorkflowEditor";

interface EditorState {
  document?: WorkflowDocument;
  notice?: string;
  // Set when the copilot drafted the document: what it does and what the model assumed.
  copilot?: Pick<DraftRead, "explanation" | "assumptions">;
}

export function NewWorkflowPage() {
  const state = (useLocation().state ?? {}) as EditorState;
  if (!state.document) return <Navigate to="/wizard" replace />;
  return (
    <>
      {state.copilot && <CopilotNotes draft={state.copilot} />}
      <WorkflowEditor initial={state.document} isNew status="New workflow, not saved yet" />
    </>
  );
}

export function EditorPage() {
  const { id = "" } = useParams();
  const { notice } = (useLocation().state ?? {}) as EditorState;
  const step = useSearchParams()[0].get("step") ?? undefined;
  const workflow = useWorkflow(id);
  if (workflow.error) return <ErrorNotice error={workflow.error} />;
  if (!workflow.data) return <p>Loading…</p>;
  const w = workflow.data;
  const status = notice ?? `Version ${w.version}${w.active_version === w.version ? " (active)" : " (draft)"} of ${w.latest_version}`;
  return <WorkflowEditor key={id} initial={w.document as unknown as WorkflowDocument} isNew={false} status={status} step={step} />;
}
