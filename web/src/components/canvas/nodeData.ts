// What a node component is handed: its graph data and what the page adds to it.
import type { NodeData } from "../../workflow/graph";
import type { NodeProblem } from "../../workflow/problems";

/** How a step went in a dry run's trace or a run (drawn as the node's colour). */
export type StepState = "completed" | "failed" | "skipped" | "waiting" | "running" | "retrying" | "planned";

export type CanvasNodeData = NodeData & {
  problem?: NodeProblem;
  state?: StepState;
};
