// The run's version drawn on the canvas with the path it took: each node in the state of its
// last step. Loaded on demand (the canvas brings the graph library).
import type { CSSProperties } from "react";
import { useQuery } from "@tanstack/react-query";
import { fetchVersion, workflowKeys } from "../../api/workflows";
import type { StepRead } from "../../api/runs";
import { WorkflowCanvas } from "../../components/canvas/WorkflowCanvas";
import { ErrorNotice } from "../../components/ErrorNotice";
import type { WorkflowDocument } from "../../workflow/document";
import { documentToGraph } from "../../workflow/graph";
import { drawnHeight, layoutGraph } from "../../workflow/layout";
import { traceStates } from "../../workflow/trace";

export default function RunPath({ workflowId, version, steps }: { workflowId: string; version: number; steps: readonly StepRead[] }) {
  const document = useQuery({
    queryKey: workflowKeys.version(workflowId, version),
    queryFn: ({ signal }) => fetchVersion(workflowId, version, signal),
    staleTime: Infinity, // a version never changes
  });
  if (document.isPending) return <p>Loading the workflow…</p>;
  if (document.error) return <ErrorNotice error={document.error} />;
  const workflow = document.data.document as unknown as WorkflowDocument;
  const states = traceStates(steps.map((step) => ({ step_id: step.step_id, status: step.status })));
  return (
    <div className="run-path" style={{ "--path-height": `${pathHeight(workflow)}px` } as CSSProperties}>
      <WorkflowCanvas document={workflow} states={states} scrollsPage />
    </div>
  );
}

/** A box that draws the workflow at full size, up to 760 px: a longer one is drawn smaller,
 * or panned and zoomed with the canvas's controls. */
function pathHeight(workflow: WorkflowDocument): number {
  return drawnHeight(layoutGraph(documentToGraph(workflow), workflow.studio?.positions), 360, 760);
}
