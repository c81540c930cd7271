// An action on the canvas: its type, its id or name, its template, what it does in a few
// words, and what is wrong with it.
import { memo } from "react";
import { Handle, Position, type NodeProps, type Node } from "@xyflow/react";
import type { CanvasNodeData } from "./nodeData";
import type { ActionNodeData } from "../../workflow/graph";
import { describeDelay } from "../../workflow/document";
import { actionSummary } from "../../workflow/summary";

/** The first condition as a person reads it, and how many more there are. */
export function describeConditions(conditions: unknown[] | undefined): string {
  const [first, ...rest] = conditions ?? [];
  if (!first || typeof first !== "object") return "no conditions";
  const { field, operator, value } = first as { field?: string; operator?: string; value?: unknown };
  const text = field ? `${field} ${operator ?? ""} ${value === undefined ? "" : JSON.stringify(value)}`.trim() : "a group of conditions";
  return rest.length ? `${text} (+${rest.length})` : text;
}

type Props = NodeProps<Node<CanvasNodeData & ActionNodeData>>;

export const ActionNode = memo(function ActionNode({ data, selected }: Props) {
  const { action, problem, state } = data;
  const summary = actionSummary(action);
  const classes = ["node", "node-action", `type-${action.type}`];
  if (selected) classes.push("selected");
  if (problem) classes.push("has-problem");
  if (state) classes.push(`state-${state}`);
  return (
    <div className={classes.join(" ")} data-node={action.id} title={problem?.messages.join("\n")}>
      <Handle type="target" position={Position.Top} />
      <div className="node-type">{action.type.replace(/_/g, " ")}</div>
      <div className="node-title">{action.name ?? action.id}</div>
      {action.template && <div className="node-sub">template {action.template}</div>}
      {action.type === "delay" && <div className="node-sub">wait {describeDelay(action.delay)}</div>}
      {action.type === "condition" && <div className="node-sub">{describeConditions(action.conditions)}</div>}
      {summary && <div className="node-sub" title={summary}>{summary}</div>}
      {problem && (
        <div className="node-problem" role="alert">
          ⚠ {problem.messages[0]}
          {problem.messages.length > 1 && ` (+${problem.messages.length - 1})`}
        </div>
      )}
      {state && <div className="node-state">{state}</div>}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});
