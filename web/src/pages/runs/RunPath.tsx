// The run's version drawn on the canvas with the path it took: each node in the state of its
// last step. Loaded on demand (the canvas brings the graph library).
import { useQuery } from "@tanstack/react-query";
import { fetchVersion, workflowKeys } from "../../api/workflows";
import type { StepRead } from "../../api/runs";
import { WorkflowCanvas } from "../../components/canvas/WorkflowCanvas";
import { ErrorNotice } from "../../components/ErrorNotice";
import type { WorkflowDocument } from "../../workflow/document";
import { traceStates } from "../../workflow/trace";

export default function RunPath({ workflowId, version, steps }: { workflowId: string; version: number; steps: readonly StepRead[] }) {
  const document = useQuery({
    queryKey: workflowKeys.version(workflowId, version),
    queryFn: ({ signal }) => fetchVersion(workflowId, version, signal),
    staleTime: Infinity, // a version never changes
  });
  if (document.isPending) return <p>Loading the workflow…</p>;
  if (document.error) return <ErrorNotice error={document.error} />;
  const states = traceStates(steps.map((step) => ({ step_id: step.step_id, status: step.status })));
  return (
    <div className="run-path">
      <WorkflowCanvas document={document.data.document as unknown as WorkflowDocument} states={states} />
    </div>
  );
}
