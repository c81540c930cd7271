// A workflow document drawn as a graph: laid out automatically, dragged nodes kept where
// they were put. Shared by the editor (edit, validate, test trace) and the run pages.
import { useCallback, useEffect, useMemo, useRef, type KeyboardEvent } from "react";
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useNodesState,
  useReactFlow,
  type Edge,
  type Node,
  type NodeMouseHandler,
  type OnNodeDrag,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { Position, WorkflowDocument } from "../../workflow/document";
import { documentToGraph, type NodeData } from "../../workflow/graph";
import { layoutGraph } from "../../workflow/layout";
import type { NodeProblem } from "../../workflow/problems";
import { ActionNode } from "./ActionNode";
import { TriggerNode } from "./TriggerNode";
import { JoinNode, SlotNode, StartNode } from "./MarkerNodes";
import type { CanvasNodeData, StepState } from "./nodeData";
import { stableNodes } from "./stableNodes";

const NODE_TYPES = { action: ActionNode, trigger: TriggerNode, join: JoinNode, slot: SlotNode, start: StartNode };

export interface WorkflowCanvasProps {
  document: WorkflowDocument;
  problems?: Map<string, NodeProblem>;
  /** Node id → how its step went (a dry run's trace, a run's path). */
  states?: Map<string, StepState>;
  selected?: string | null;
  onSelect?: (nodeId: string | null) => void;
  /** Called when a person drops a dragged node; without it nodes cannot be dragged. */
  onMove?: (nodeId: string, position: Position) => void;
  /** The wheel scrolls the page, not zooms (a pinch or the controls still do): for a canvas
   * that is one part of a longer page, which it would otherwise stop scrolling. */
  scrollsPage?: boolean;
}

export function WorkflowCanvas({ document, problems, states, selected = null, onSelect, onMove, scrollsPage = false }: WorkflowCanvasProps) {
  // Dragging a node changes only `studio`: the graph and its layout are kept, positions move.
  const structure = useMemo(() => JSON.stringify({ ...document, studio: undefined }), [document]);
  const graph = useMemo(() => documentToGraph(JSON.parse(structure) as WorkflowDocument), [structure]);
  // Editing a field changes node data, not the shape: lay out again only when the shape changes.
  const shape = useMemo(() => JSON.stringify([graph.nodes.map((n) => [n.id, n.type]), graph.edges.map((e) => [e.source, e.target, Boolean(e.label), Boolean(e.back)])]), [graph]);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `graph` of this shape
  const auto = useMemo(() => new Map(layoutGraph(graph).map((n) => [n.id, n.position])), [shape]);
  const positions = document.studio?.positions;
  const laid = useMemo(
    () => graph.nodes.map((node) => ({ ...node, position: positions?.[node.id] ?? auto.get(node.id) ?? node.position })),
    [graph, auto, positions],
  );
  // A node whose data did not change keeps its data object, so its memoized component is
  // not drawn again: an edit redraws the nodes it touched, not all 50.
  const previous = useRef(new Map<string, { text: string; data: CanvasNodeData }>());
  const decorated = useMemo<Node<CanvasNodeData>[]>(() => {
    const kept = new Map<string, { text: string; data: CanvasNodeData }>();
    const nodes = laid.map((node) => {
      const problem = problems?.get(node.id);
      const state = states?.get(node.id);
      let data: CanvasNodeData = { ...node.data };
      if (problem) data.problem = problem;
      if (state) data.state = state;
      const text = JSON.stringify(data);
      const before = previous.current.get(node.id);
      if (before?.text === text) data = before.data;
      kept.set(node.id, { text, data });
      return { id: node.id, type: node.type, position: node.position, data, selected: node.id === selected, ariaLabel: nodeLabel(node.data) };
    });
    previous.current = kept;
    return nodes;
  }, [laid, problems, states, selected]);
  const [nodes, setNodes, onNodesChange] = useNodesState<Node<CanvasNodeData>>(decorated);
  // Selecting a node or a validation's answer changes a node or two: the rest stay the objects
  // React Flow drew (and measured), so it neither hides nor measures them again.
  useEffect(() => setNodes((drawn) => stableNodes(drawn, decorated)), [decorated, setNodes]);

  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((edge) => {
        const walked = states?.has(edge.source) && states.has(edge.target);
        return {
          id: edge.id,
          source: edge.source,
          target: edge.target,
          label: edge.label,
          type: "smoothstep",
          animated: Boolean(walked),
          className: [edge.back ? "edge-back" : "", walked ? "edge-walked" : ""].join(" ").trim() || undefined,
          markerEnd: { type: MarkerType.ArrowClosed },
        };
      }),
    [graph, states],
  );

  const click: NodeMouseHandler = useCallback((_, node) => onSelect?.(node.id), [onSelect]);
  const dragStop: OnNodeDrag = useCallback((_, node) => onMove?.(node.id, node.position), [onMove]);
  // Enter or Space on a node reached with Tab opens it, as a click does: React Flow selects it
  // in its own store, which the page (holding the selection) never hears of.
  const keyDown = useCallback((event: KeyboardEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    if ((event.key !== "Enter" && event.key !== " ") || !target.classList.contains("react-flow__node")) return;
    event.preventDefault();
    onSelect?.(target.dataset["id"] ?? null);
  }, [onSelect]);

  return (
    <div className="canvas" data-testid="canvas" onKeyDown={keyDown}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        onNodesChange={onNodesChange}
        onNodeClick={click}
        onPaneClick={() => onSelect?.(null)}
        onNodeDragStop={dragStop}
        nodesDraggable={Boolean(onMove)}
        nodesConnectable={false}
        elementsSelectable
        deleteKeyCode={null}
        onlyRenderVisibleElements={nodes.length > 60}
        fitView
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        minZoom={0.1}
        preventScrolling={!scrollsPage}
      >
        <FitOnGrowth count={nodes.length} />
        <Background gap={16} />
        <Controls showInteractive={false} />
        {nodes.length > 15 && <MiniMap pannable zoomable />}
      </ReactFlow>
    </div>
  );
}

/** What a screen reader calls a node: "send email send_email_1", "add to then". */
function nodeLabel(data: NodeData): string {
  if (data.kind === "trigger") return `trigger on ${data.head.trigger.type}`;
  if (data.kind === "action") return `${data.action.type.replace(/_/g, " ")} ${data.action.name ?? data.action.id ?? ""}`.trim();
  return data.label;
}

/** Shows the whole graph again when nodes are added or removed (not when one is dragged).
 * Not on the first count: `fitView` on ReactFlow fits that at once, and an animated fit
 * queued beside it took its place, moving the nodes 200 px after they first showed, away
 * from a click already on its way. */
function FitOnGrowth({ count }: { count: number }) {
  const { fitView } = useReactFlow();
  const fitted = useRef(count);
  useEffect(() => {
    if (count === fitted.current) return;
    fitted.current = count;
    const frame = requestAnimationFrame(() => void fitView({ padding: 0.15, maxZoom: 1, duration: 150 }));
    return () => cancelAnimationFrame(frame);
  }, [count, fitView]);
  return null;
}
