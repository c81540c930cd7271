// The trigger: the event type (or schedule) that starts the workflow.
import { memo } from "react";
import { Handle, Position, type NodeProps, type Node } from "@xyflow/react";
import type { CanvasNodeData } from "./nodeData";
import type { TriggerNodeData } from "../../workflow/graph";

export function describeTrigger(trigger: TriggerNodeData["head"]["trigger"]): string {
  if (trigger.type === "schedule") {
    const when = trigger.cron ? `cron ${trigger.cron}` : `every ${String(trigger.interval)}`;
    return trigger.timezone ? `${when} (${trigger.timezone})` : when;
  }
  const count = trigger.conditions?.length ?? 0;
  return count ? `${count} condition${count > 1 ? "s" : ""}` : "every event";
}

export const TriggerNode = memo(function TriggerNode({ data, selected }: NodeProps<Node<CanvasNodeData & TriggerNodeData>>) {
  const trigger = data.head.trigger;
  const classes = ["node", "node-trigger"];
  if (selected) classes.push("selected");
  if (data.problem) classes.push("has-problem");
  return (
    <div className={classes.join(" ")} data-node="trigger">
      <div className="node-type">trigger</div>
      <div className="node-title">{trigger.type === "schedule" ? "schedule" : `on ${trigger.type}`}</div>
      <div className="node-sub">{describeTrigger(trigger)}</div>
      {data.problem && <div className="node-problem" role="alert">⚠ {data.problem.messages[0]}</div>}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});
