// Small nodes that mark the flow: a parallel's join, an empty arm, the compensation's start.
import { memo } from "react";
import { Handle, Position, type NodeProps, type Node } from "@xyflow/react";
import type { JoinNodeData, SlotNodeData, StartNodeData } from "../../workflow/graph";

export const JoinNode = memo(function JoinNode({ data }: NodeProps<Node<JoinNodeData>>) {
  return (
    <div className="node node-join">
      <Handle type="target" position={Position.Top} />
      {data.label}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});

export const SlotNode = memo(function SlotNode({ data, selected }: NodeProps<Node<SlotNodeData>>) {
  return (
    <div className={`node node-slot${selected ? " selected" : ""}`} title="Select, then pick an action from the palette">
      <Handle type="target" position={Position.Top} />
      + {data.label}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});

export const StartNode = memo(function StartNode({ data, selected }: NodeProps<Node<StartNodeData>>) {
  return (
    <div className={`node node-start${selected ? " selected" : ""}`}>
      {data.label}
      <Handle type="source" position={Position.Bottom} />
    </div>
  );
});
