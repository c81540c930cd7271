// Places a graph's nodes: top to bottom by dagre, then the positions a person dragged.
import dagre from "@dagrejs/dagre";
import type { Position } from "./document";
import type { Graph, GraphNode } from "./graph";

/** The box each kind of node is drawn in (the node components keep to these sizes). */
export const NODE_SIZE: Record<GraphNode["type"], { width: number; height: number }> = {
  trigger: { width: 240, height: 64 },
  start: { width: 200, height: 40 },
  action: { width: 220, height: 64 },
  join: { width: 120, height: 32 },
  slot: { width: 150, height: 36 },
};

/** Top-left positions for every node; saved ones win over the automatic layout. */
export function layoutGraph(graph: Graph, saved: Record<string, Position> = {}): GraphNode[] {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 56, edgesep: 16, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(node.id, { ...NODE_SIZE[node.type] });
  for (const edge of graph.edges) {
    // A loop's way back would turn the drawing upside down: it is drawn, not laid out.
    if (!edge.back) g.setEdge(edge.source, edge.target, { minlen: edge.label ? 2 : 1 });
  }
  dagre.layout(g);
  return graph.nodes.map((node) => {
    const size = NODE_SIZE[node.type];
    const placed = g.node(node.id);
    const auto = placed ? { x: placed.x - size.width / 2, y: placed.y - size.height / 2 } : { x: 0, y: 0 };
    return { ...node, position: saved[node.id] ?? auto };
  });
}

/** How tall a box must be to draw `nodes` at full size, the canvas's fit leaving 0.15 of the
 * box's height free above and below them, kept between `least` and `most` pixels: a box of
 * fixed height drew a run of five steps at half size, its text too small to read. */
export function drawnHeight(nodes: GraphNode[], least: number, most: number): number {
  if (nodes.length === 0) return least;
  const top = Math.min(...nodes.map((node) => node.position.y));
  const bottom = Math.max(...nodes.map((node) => node.position.y + NODE_SIZE[node.type].height));
  return Math.round(Math.min(most, Math.max(least, (bottom - top) / 0.7)));
}
