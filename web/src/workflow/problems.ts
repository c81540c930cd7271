// The API's validation errors, put on the node and the field they belong to.
import { ARM_LIST_FIELDS, type Action, type WorkflowDocument } from "./document";
import { TRIGGER_ID } from "./graph";

export interface ErrorDetail {
  loc: (string | number)[];
  msg: string;
}

export interface NodeProblem {
  /** Every message about this node, as the API worded it. */
  messages: string[];
  /** Field path within the action (`data.recipient`, `delay`, `template`) → its messages. */
  fields: Record<string, string[]>;
}

const NESTED_LISTS = new Set<string>([...ARM_LIST_FIELDS, "actions"]);

/** Follows a location into the document: the action it ends in and the rest of the path. */
function resolve(doc: WorkflowDocument, loc: (string | number)[]): { node: string; rest: (string | number)[] } {
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  let list: Action[] | undefined;
  let i = 0;
  if (path[0] === "actions") {
    list = doc.actions;
    i = 1;
  } else if (path[0] === "settings" && path[1] === "compensation") {
    list = doc.settings?.compensation;
    i = 2;
  } else {
    return { node: TRIGGER_ID, rest: path };
  }
  let action: Action | undefined;
  while (list && typeof path[i] === "number") {
    action = list[path[i] as number];
    i++;
    const field = path[i];
    if (!action || typeof field !== "string") break;
    if (NESTED_LISTS.has(field) && typeof path[i + 1] === "number") {
      list = action[field as "then"];
      i++;
    } else if ((field === "variants" || field === "branches") && path[i + 2] === "actions" && typeof path[i + 3] === "number") {
      const arms = action[field] as { actions?: Action[] }[] | undefined;
      list = arms?.[path[i + 1] as number]?.actions;
      i += 3;
    } else break;
  }
  return action?.id ? { node: action.id, rest: path.slice(i) } : { node: TRIGGER_ID, rest: path };
}

// The API sends a script to the connector catalogue for an action's inputs; in the Studio the
// form beside the message already lists them, and a marketer cannot call an endpoint.
const SEE_CATALOGUE = /; see GET \/api\/connectors for the inputs of '[^']*'$/;

/** The problems of each node, by node id (an action's id, or the trigger for the rest). */
export function problemsByNode(doc: WorkflowDocument, details: ErrorDetail[]): Map<string, NodeProblem> {
  const problems = new Map<string, NodeProblem>();
  for (const detail of details) {
    const { node, rest } = resolve(doc, detail.loc);
    const problem = problems.get(node) ?? { messages: [], fields: {} };
    // The API locates each problem at its field (`actions.0.data.url`, a missing input's own
    // place included), so the rest of the location is the field within the node: for the
    // trigger's node, the whole path (`settings.concurrency.key`), which its message names.
    const field = rest.length ? rest.join(".") : null;
    const message = detail.msg.replace(SEE_CATALOGUE, "");
    problem.messages.push(field ? `${field}: ${message}` : message);
    if (field) (problem.fields[field] ??= []).push(message);
    problems.set(node, problem);
  }
  return problems;
}

/** The messages of the fields under `prefix` (`data`, `conditions`, `trigger.conditions`),
 * keyed within it, as a form over that part takes them; `prefix`'s own under "". */
export function fieldsUnder(fields: Record<string, string[]>, prefix: string): Record<string, string[]> {
  const inside: Record<string, string[]> = {};
  for (const [path, messages] of Object.entries(fields)) {
    if (path === prefix) inside[""] = messages;
    else if (path.startsWith(`${prefix}.`)) inside[path.slice(prefix.length + 1)] = messages;
  }
  return inside;
}
