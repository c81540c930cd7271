// Edits made on the canvas, as pure functions from a document to the next document.
import { ARM_LIST_FIELDS, COMPENSATION, ROOT, walk, type Action, type ListKey, type Position, type WorkflowDocument } from "./document";
import { TRIGGER_ID } from "./graph";

/** Rebuilds every list of actions (nested ones and compensation too) through `change`. */
export function mapLists(doc: WorkflowDocument, change: (actions: Action[], key: ListKey) => Action[]): WorkflowDocument {
  const visit = (actions: Action[], key: ListKey): Action[] => change(actions.map(visitAction), key);
  const visitAction = (action: Action): Action => {
    const id = action.id ?? "";
    const next: Action = { ...action };
    for (const field of ARM_LIST_FIELDS) {
      const list = action[field];
      if (list !== undefined) next[field] = visit(list, `${id}/${field}`);
    }
    if (action.type === "loop" && action.actions !== undefined) next.actions = visit(action.actions, `${id}/actions`);
    if (action.variants) {
      next.variants = action.variants.map((v, i) => (v.actions === undefined ? v : { ...v, actions: visit(v.actions, `${id}/variants/${i}`) }));
    }
    if (action.branches) next.branches = action.branches.map((b, i) => ({ ...b, actions: visit(b.actions, `${id}/branches/${i}`) }));
    return next;
  };
  const result: WorkflowDocument = { ...doc, actions: visit(doc.actions, ROOT) };
  const compensation = doc.settings?.compensation;
  if (compensation) result.settings = { ...doc.settings, compensation: visit(compensation, COMPENSATION) };
  return result;
}

/** Puts `action` at `index` of the list `list`, creating the list when its arm had none. */
export function insertAt(doc: WorkflowDocument, list: ListKey, index: number, action: Action): WorkflowDocument {
  const [owner, field, position] = list.split("/");
  if (list !== ROOT && list !== COMPENSATION && owner !== undefined && field !== undefined) {
    doc = ensureArm(doc, owner, field, position === undefined ? undefined : Number(position));
  }
  if (list === COMPENSATION && !doc.settings?.compensation) {
    doc = { ...doc, settings: { ...doc.settings, compensation: [] } };
  }
  return mapLists(doc, (actions, key) => (key === list ? [...actions.slice(0, index), action, ...actions.slice(index)] : actions));
}

function ensureArm(doc: WorkflowDocument, owner: string, field: string, position: number | undefined): WorkflowDocument {
  return updateById(doc, owner, (action) => {
    if (field === "variants" && position !== undefined && action.variants) {
      return { ...action, variants: action.variants.map((v, i) => (i === position && !v.actions ? { ...v, actions: [] } : v)) };
    }
    if ((field === "actions" || (ARM_LIST_FIELDS as readonly string[]).includes(field)) && !action[field]) {
      return { ...action, [field]: [] };
    }
    return action;
  });
}

/** Where an action is: its list and its index there. */
export function locate(doc: WorkflowDocument, id: string): { list: ListKey; index: number } | null {
  const found = [...walk(doc.actions, ROOT), ...walk(doc.settings?.compensation ?? [], COMPENSATION)].find((e) => e.action.id === id);
  return found ? { list: found.list, index: found.index } : null;
}

/**
 * Adds an action after a node: after an action (in its list), first in an empty arm (its
 * slot), first after the trigger, or after a parallel action (its join).
 */
export function insertAfterNode(doc: WorkflowDocument, nodeId: string | null, action: Action): WorkflowDocument {
  if (nodeId === null) return insertAt(doc, ROOT, doc.actions.length, action);
  if (nodeId === TRIGGER_ID) return insertAt(doc, ROOT, 0, action);
  if (nodeId === "compensation") return insertAt(doc, COMPENSATION, 0, action);
  if (nodeId.startsWith("slot:")) return insertAt(doc, nodeId.slice("slot:".length), 0, action);
  const id = nodeId.startsWith("join:") ? nodeId.slice("join:".length) : nodeId;
  const place = locate(doc, id);
  return place ? insertAt(doc, place.list, place.index + 1, action) : insertAt(doc, ROOT, doc.actions.length, action);
}

export function removeAction(doc: WorkflowDocument, id: string): WorkflowDocument {
  const next = mapLists(doc, (actions) => actions.filter((a) => a.id !== id));
  const positions = doc.studio?.positions;
  if (!positions || !(id in positions)) return next;
  const kept = { ...positions };
  delete kept[id];
  return { ...next, studio: { ...doc.studio, positions: kept } };
}

/** Moves an action up (-1) or down (+1) within its list; at an end it stays. */
export function moveAction(doc: WorkflowDocument, id: string, delta: -1 | 1): WorkflowDocument {
  return mapLists(doc, (actions) => {
    const from = actions.findIndex((a) => a.id === id);
    const to = from + delta;
    if (from < 0 || to < 0 || to >= actions.length) return actions;
    const moved = [...actions];
    [moved[from], moved[to]] = [moved[to] as Action, moved[from] as Action];
    return moved;
  });
}

export function updateById(doc: WorkflowDocument, id: string, change: (action: Action) => Action): WorkflowDocument {
  return mapLists(doc, (actions) => actions.map((a) => (a.id === id ? change(a) : a)));
}

/**
 * Replaces an action's own fields (as a form or the JSON tab shows them, nested lists
 * emptied) and keeps its nested actions: arms by field, variants and branches by position.
 */
export function replaceFields(doc: WorkflowDocument, id: string, fields: Action): WorkflowDocument {
  return updateById(doc, id, (old) => {
    const next: Action = { ...fields, id: fields.id ?? old.id };
    for (const field of [...ARM_LIST_FIELDS, "actions"] as const) {
      if (old[field]?.length && next.type === old.type) next[field] = old[field];
    }
    if (next.variants && old.variants) {
      next.variants = next.variants.map((v, i) => (old.variants?.[i]?.actions?.length ? { ...v, actions: old.variants[i]?.actions } : v));
    }
    if (next.branches && old.branches) {
      next.branches = next.branches.map((b, i) => (old.branches?.[i]?.actions.length ? { ...b, actions: old.branches[i]?.actions ?? [] } : b));
    }
    return next;
  });
}

export function setPosition(doc: WorkflowDocument, nodeId: string, position: Position): WorkflowDocument {
  const rounded = { x: Math.round(position.x), y: Math.round(position.y) };
  return { ...doc, studio: { ...doc.studio, positions: { ...doc.studio?.positions, [nodeId]: rounded } } };
}

/** Forgets every dragged position: the automatic layout places every node again. */
export function clearPositions(doc: WorkflowDocument): WorkflowDocument {
  if (!doc.studio) return doc;
  const studio = { ...doc.studio };
  delete studio.positions;
  const next = { ...doc };
  if (Object.keys(studio).length) next.studio = studio;
  else delete next.studio;
  return next;
}

// The API's names for the ids it assigns in each arm (app/models/action.py, ARM_NAMES).
const ARM_NAMES: Record<string, string> = {
  then: "then", else: "else", on_event: "event", on_timeout: "timeout", on_approve: "approve", on_reject: "reject", actions: "do",
};

/**
 * Names every unnamed action the way the API would (`action_002`, `action_002_then_001`),
 * so the canvas has an id per node and saving keeps them.
 */
export function withIds(doc: WorkflowDocument): WorkflowDocument {
  const taken = new Set(walk([...doc.actions, ...(doc.settings?.compensation ?? [])]).map((e) => e.action.id).filter(Boolean));
  const assign = (actions: Action[], prefix: string): Action[] =>
    actions.map((action, i) => {
      let id = action.id;
      if (!id) {
        const base = `${prefix}_${String(i + 1).padStart(3, "0")}`;
        let candidate = base;
        for (let suffix = 2; taken.has(candidate); suffix++) candidate = `${base}_${suffix}`;
        id = candidate;
        taken.add(id);
      }
      const next: Action = { ...action, id };
      for (const field of ARM_LIST_FIELDS) {
        const list = action[field];
        if (list) next[field] = assign(list, `${id}_${ARM_NAMES[field]}`);
      }
      if (action.type === "loop" && action.actions) next.actions = assign(action.actions, `${id}_do`);
      if (action.variants) next.variants = action.variants.map((v) => (v.actions ? { ...v, actions: assign(v.actions, `${id}_${v.name}`) } : v));
      if (action.branches) next.branches = action.branches.map((b) => ({ ...b, actions: assign(b.actions, `${id}_${b.name}`) }));
      return next;
    });
  const result: WorkflowDocument = { ...doc, actions: assign(doc.actions, "action") };
  if (doc.settings?.compensation) result.settings = { ...doc.settings, compensation: assign(doc.settings.compensation, "compensation") };
  return result;
}

/** An id for a new action of `type` that no action of the document has. */
export function freshId(doc: WorkflowDocument, type: string): string {
  const taken = new Set(walk([...doc.actions, ...(doc.settings?.compensation ?? [])]).map((e) => e.action.id));
  let n = 1;
  while (taken.has(`${type}_${n}`)) n++;
  return `${type}_${n}`;
}

/** Replaces what the trigger node edits (name, trigger, settings...) and keeps the actions. */
export function replaceHead(doc: WorkflowDocument, head: Record<string, unknown>): WorkflowDocument {
  const compensation = doc.settings?.compensation;
  const next = { ...head, actions: doc.actions } as WorkflowDocument;
  if (compensation) next.settings = { ...next.settings, compensation };
  if (doc.studio && !("studio" in head)) next.studio = doc.studio;
  return next;
}
