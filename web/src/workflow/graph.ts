// Document → graph (what the canvas draws) and graph → document (the same document back).
// Nodes carry their action without its nested lists, and the place of its list: that is all
// graphToDocument needs; edges are drawn for people and never read back.
import {
  ARM_LIST_FIELDS,
  armsOf,
  BRANCHING,
  COMPENSATION,
  describeDelay,
  MESSAGE_TYPES,
  ROOT,
  type Action,
  type DocumentHead,
  type ListKey,
  type Position,
  type WorkflowDocument,
} from "./document";

export const TRIGGER_ID = "trigger";
export const COMPENSATION_ID = "compensation";

export interface TriggerNodeData {
  kind: "trigger";
  /** The document without its actions and compensation. */
  head: DocumentHead;
  [key: string]: unknown;
}
export interface StartNodeData {
  kind: "start";
  label: string;
  [key: string]: unknown;
}
export interface ActionNodeData {
  kind: "action";
  /** The action with its nested lists emptied (their keys kept, so absent and [] differ). */
  action: Action;
  list: ListKey;
  index: number;
  [key: string]: unknown;
}
export interface JoinNodeData {
  kind: "join";
  owner: string;
  label: string;
  [key: string]: unknown;
}
export interface SlotNodeData {
  kind: "slot";
  /** The empty list a new action dropped here goes into. */
  list: ListKey;
  label: string;
  [key: string]: unknown;
}
export type NodeData = TriggerNodeData | StartNodeData | ActionNodeData | JoinNodeData | SlotNodeData;

export interface GraphNode {
  id: string;
  type: NodeData["kind"];
  data: NodeData;
  position: Position;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  /** A loop's way back to its next item: drawn dashed, left out of the layout. */
  back?: boolean;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const ORIGIN: Position = { x: 0, y: 0 };

/** The action as a node holds it: nested lists emptied, everything else as written. */
export function stripArms(action: Action): Action {
  const copy: Action = { ...action };
  for (const field of ARM_LIST_FIELDS) {
    if (copy[field] !== undefined) copy[field] = [];
  }
  if (copy.actions !== undefined && action.type === "loop") copy.actions = [];
  if (copy.variants) copy.variants = copy.variants.map((v) => (v.actions === undefined ? { ...v } : { ...v, actions: [] }));
  if (copy.branches) copy.branches = copy.branches.map((b) => ({ ...b, actions: [] }));
  return copy;
}

export const slotId = (list: ListKey) => `slot:${list}`;
export const joinId = (owner: string) => `join:${owner}`;

/** A way into the next node: the node the flow comes from, and what the edge says. */
interface Entry {
  source: string;
  label?: string;
}

class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];
  private readonly sendWindow: boolean;

  constructor(doc: WorkflowDocument) {
    this.sendWindow = Boolean(doc.settings?.send_window);
  }

  node(id: string, data: NodeData) {
    this.nodes.push({ id, type: data.kind, data, position: ORIGIN });
  }

  /** Edges from entries into a node: the entry's label, the action's delay and send window. */
  enter(entries: Entry[], target: string, action?: Action, back = false) {
    const notes: string[] = [];
    if (action) {
      const delay = action.type === "delay" ? undefined : action.delay;
      if (delay !== undefined && delay !== 0 && delay !== "0") notes.push(`wait ${describeDelay(delay)}`);
      if (this.sendWindow && MESSAGE_TYPES.has(action.type)) notes.push("in send window");
    }
    for (const entry of entries) {
      const label = [...(entry.label ? [entry.label] : []), ...notes].join(" · ");
      const edge: GraphEdge = { id: `${entry.source}->${target}${back ? ":back" : ""}`, source: entry.source, target };
      if (label) edge.label = label;
      if (back) edge.back = true;
      this.edges.push(edge);
    }
  }

  /** Draws a list of actions entered from `entries`; returns where its flow leaves from. */
  sequence(actions: Action[], list: ListKey, entries: Entry[], slotLabel: string): Entry[] {
    if (actions.length === 0) {
      const id = slotId(list);
      this.node(id, { kind: "slot", list, label: slotLabel });
      this.enter(entries, id);
      return [{ source: id }];
    }
    return actions.reduce((into, action, index) => this.action(action, list, index, into), entries);
  }

  action(action: Action, list: ListKey, index: number, entries: Entry[]): Entry[] {
    const id = action.id ?? "";
    this.node(id, { kind: "action", action: stripArms(action), list, index });
    this.enter(entries, id, action);
    if (!BRANCHING.has(action.type)) return [{ source: id }];
    const arms = armsOf(action);
    const drawArm = (arm: (typeof arms)[number]) =>
      this.sequence(arm.actions, arm.key, [{ source: id, label: arm.label }], `add to ${arm.label}`);
    if (action.type === "loop") {
      for (const arm of arms) {
        for (const end of drawArm(arm)) this.enter([{ source: end.source, label: "next item" }], id, undefined, true);
      }
      return [{ source: id, label: "done" }];
    }
    if (action.type === "parallel") {
      const join = joinId(id);
      const how = String(action.data?.["join"] ?? "all");
      this.node(join, { kind: "join", owner: id, label: how === "first" ? `join first ${String(action.data?.["count"])}` : `join ${how}` });
      this.enter(arms.flatMap(drawArm), join);
      return [{ source: join }];
    }
    const exits = arms.flatMap(drawArm);
    const holdout = Number(action.data?.["holdout"] ?? 0);
    if (action.type === "split" && holdout > 0) exits.push({ source: id, label: `holdout · ${holdout} %` });
    return exits;
  }
}

/** The graph of a document: a trigger node, a node per action, branches as branches. */
export function documentToGraph(doc: WorkflowDocument): Graph {
  const builder = new GraphBuilder(doc);
  const { actions, ...head }: { actions: Action[] } & DocumentHead = doc;
  const compensation = doc.settings?.compensation;
  if (doc.settings && compensation) {
    const settings = { ...doc.settings };
    delete settings.compensation;
    head.settings = settings;
  }
  builder.node(TRIGGER_ID, { kind: "trigger", head });
  builder.sequence(actions, ROOT, [{ source: TRIGGER_ID }], "add the first action");
  if (compensation) {
    builder.node(COMPENSATION_ID, { kind: "start", label: "On error: compensate" });
    builder.sequence(compensation, COMPENSATION, [{ source: COMPENSATION_ID }], "add a compensation");
  }
  return { nodes: builder.nodes, edges: builder.edges };
}

/** The document a graph was drawn from: the trigger's head, each list in its nodes' order. */
export function graphToDocument(nodes: readonly { data: NodeData }[]): WorkflowDocument {
  const lists = new Map<ListKey, ActionNodeData[]>();
  let head: TriggerNodeData["head"] | undefined;
  for (const { data } of nodes) {
    if (data.kind === "trigger") head = data.head;
    if (data.kind !== "action") continue;
    const list = lists.get(data.list) ?? [];
    list.push(data);
    lists.set(data.list, list);
  }
  if (!head) throw new Error("a workflow graph has a trigger node");
  const build = (key: ListKey): Action[] =>
    (lists.get(key) ?? []).sort((a, b) => a.index - b.index).map((data) => withArms(data.action, build));
  const doc: WorkflowDocument = { ...head, actions: build(ROOT) };
  if (lists.has(COMPENSATION)) doc.settings = { ...doc.settings, compensation: build(COMPENSATION) };
  return doc;
}

/** An emptied action with its nested lists filled back from their nodes. */
function withArms(action: Action, build: (key: ListKey) => Action[]): Action {
  const id = action.id ?? "";
  const filled: Action = { ...action };
  const fill = (key: ListKey, present: boolean) => {
    const children = build(key);
    return children.length || present ? children : undefined;
  };
  for (const field of ARM_LIST_FIELDS) {
    const children = fill(`${id}/${field}`, action[field] !== undefined);
    if (children) filled[field] = children;
  }
  if (action.type === "loop") {
    const children = fill(`${id}/actions`, action.actions !== undefined);
    if (children) filled.actions = children;
  }
  if (action.variants) {
    filled.variants = action.variants.map((variant, i) => {
      const children = fill(`${id}/variants/${i}`, variant.actions !== undefined);
      return children ? { ...variant, actions: children } : { ...variant };
    });
  }
  if (action.branches) {
    filled.branches = action.branches.map((branch, i) => ({ ...branch, actions: build(`${id}/branches/${i}`) }));
  }
  return filled;
}
