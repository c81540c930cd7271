// A sample event for a workflow's dry run and rule tester: one its trigger's conditions hold
// for, and the conditions of the steps on its main path too, and whose user carries the
// fields its templates read, so a first dry run on the defaults goes through the workflow
// (the seed's welcome campaign needs `email_verified`); its data carries what the steps and
// the message templates they name read (`{{ cart.total }}`), or the template fails to render.
import type { Action, WorkflowDocument } from "./document";

/** A stored message template's parts, as `GET /api/templates` lists them. */
export interface TemplateText {
  name: string;
  subject?: string | null;
  text?: string | null;
  html?: string | null;
}

export interface SampleEvent {
  user: Record<string, unknown>;
  data: Record<string, unknown>;
}

interface Test {
  field: string;
  operator: string;
  value?: unknown;
}

const BASE_USER = { id: "u1", email: "ada@example.com", name: "Ada" };
// Roots of the run context that an event does not carry: left to the run.
const NOT_IN_EVENT = new Set(["event", "profile", "vars", "steps", "approval", "failure"]);
// What a loop's body reads of the item it is on: set by the loop, not the event.
const LOOP_ROOTS = new Set(["item", "index"]);
const DAY_MS = 86_400_000;

/** The sample event for `doc`: its trigger's conditions hold, then those of the steps on its
 * main path on the fields the trigger's do not name (the first step's test of a field wins),
 * and its templates' user fields have a value. */
export function sampleEvent(doc: WorkflowDocument, templates: readonly TemplateText[] = []): SampleEvent {
  const sample: SampleEvent = { user: { ...BASE_USER }, data: {} };
  for (const field of userFieldsRead(doc, templates)) {
    if (!(field in sample.user)) sample.user[field] = userSample(field);
  }
  for (const read of dataRead(doc, templates)) {
    if (valueAt(sample.data, read.path) === undefined) place(sample, read.path, dataSample(read));
  }
  const trigger = doc.trigger.conditions ?? [];
  const claimed = fieldsNamed(trigger);
  const steps = mainPathTests(doc.actions).filter((test) => {
    const first = !claimed.has(test.field);
    claimed.add(test.field);
    return first;
  });
  for (const test of [...satisfiable(trigger), ...steps]) {
    const value = satisfying(test);
    if (value !== undefined) place(sample, test.field, value);
  }
  return sample;
}

/** Every field the conditions name, negated or in any alternative: a step's test of one
 * could undo the trigger's. */
function fieldsNamed(conditions: unknown[]): Set<string> {
  const named = new Set<string>();
  const visit = (condition: unknown): void => {
    if (typeof condition !== "object" || condition === null) return;
    const c = condition as Record<string, unknown>;
    if (typeof c["field"] === "string") named.add(c["field"]);
    for (const group of [c["all"], c["any"]]) if (Array.isArray(group)) group.forEach(visit);
    visit(c["not"]);
  };
  conditions.forEach(visit);
  return named;
}

/** The tests of the steps a run takes when every condition holds, in order: each step's own
 * `conditions` (which run it) and, down the arms that path enters, a condition step's
 * `then`, a wait's `on_event`, an approval's `on_approve`, a loop's body (less what it reads
 * of its item) and every branch of a parallel step or variant of a split. */
function mainPathTests(actions: readonly Action[], inLoop = false): Test[] {
  return actions.flatMap((action) => {
    const own = satisfiable(action.conditions ?? []).filter(
      (test) => !(inLoop && LOOP_ROOTS.has(test.field.split(".")[0] ?? "")),
    );
    const nested = mainArms(action).flatMap((arm) => mainPathTests(arm, inLoop || action.type === "loop"));
    return [...own, ...nested];
  });
}

function mainArms(action: Action): Action[][] {
  switch (action.type) {
    case "condition": return [action.then ?? []];
    case "wait_for_event": return [action.on_event ?? []];
    case "approval": return [action.on_approve ?? []];
    case "loop": return [action.actions ?? []];
    case "parallel": return (action.branches ?? []).map((branch) => branch.actions);
    case "split": return (action.variants ?? []).map((variant) => variant.actions ?? []);
    default: return [];
  }
}

/** The run context a sample event gives (its data at the root, then `user`), as the rule
 * tester takes it. */
export function sampleContext(doc: WorkflowDocument, templates: readonly TemplateText[] = []): Record<string, unknown> {
  const { user, data } = sampleEvent(doc, templates);
  return { ...data, user };
}

/** The sample data a message template named by `step` is previewed over, as the step would
 * render it: the sample event's data at the root and its user, then the step's
 * `data.variables`, each one that is a single expression (`"{{cart.items}}"`) given that
 * path's sample value (a list where `template` counts or goes over the variable). */
export function templateSample(step: Action, template: TemplateText): Record<string, unknown> {
  const doc: WorkflowDocument = { workflow_id: "", name: "", trigger: { type: "" }, actions: [step] };
  const context = sampleContext(doc, [template]);
  const variables = step.data?.["variables"];
  if (typeof variables !== "object" || variables === null || Array.isArray(variables)) return context;
  const given = Object.entries(variables).map(([name, value]) => [name, sampled(value, context, name)]);
  return { ...context, ...Object.fromEntries(given) };
}

const WHOLE_EXPRESSION = /^\{\{-?\s*([A-Za-z_]\w*(?:\.\w+)*)\s*-?\}\}$/;

/** A variable's sample value: the sample's value at the path its one expression names, the
 * value itself when it holds no templating, else a placeholder text. */
function sampled(value: unknown, context: Record<string, unknown>, name: string): unknown {
  if (Array.isArray(value)) return value.map((item) => sampled(item, context, name));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, sampled(inner, context, key)]));
  }
  if (typeof value !== "string" || !/\{[{%]/.test(value)) return value;
  const path = WHOLE_EXPRESSION.exec(value)?.[1];
  return (path === undefined ? undefined : valueAt(context, path)) ?? `sample ${name}`;
}

function valueAt(target: Record<string, unknown>, path: string): unknown {
  let node: unknown = target;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The text the workflow's templating reads: its actions and settings, and the parts of the
 * stored message templates its actions name. */
function templated(doc: WorkflowDocument, templates: readonly TemplateText[]): string {
  const named = new Set(JSON.stringify(doc.actions).match(/"template":"[^"]*"/g)?.map((m) => m.slice(12, -1)));
  const parts = templates.filter((t) => named.has(t.name)).map((t) => [t.subject, t.text, t.html].join("\n"));
  return [JSON.stringify([doc.actions, doc.settings ?? {}]), ...parts].join("\n");
}

/** The `{{ user.x }}` fields the workflow's actions (and the templates they name) read. */
export function userFieldsRead(doc: WorkflowDocument, templates: readonly TemplateText[] = []): string[] {
  const text = templated(doc, templates);
  return [...new Set([...text.matchAll(/\{\{-?\s*user\.([A-Za-z_]\w*)/g)].map((m) => m[1] ?? ""))];
}

interface DataRead {
  path: string;
  /** Gone over (`{% for x in path %}`) or counted (`| length`): a list. */
  listed: boolean;
}

/** The event data paths the templating reads (`{{ cart.total }}`, `{% for i in cart.items %}`),
 * less the run's own roots and what a loop sets. */
export function dataRead(doc: WorkflowDocument, templates: readonly TemplateText[] = []): DataRead[] {
  const text = templated(doc, templates);
  const path = String.raw`([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)`;
  const reads = new Map<string, boolean>();
  for (const m of text.matchAll(new RegExp(String.raw`\{\{-?\s*${path}\s*(\|\s*length)?`, "g"))) {
    reads.set(m[1] ?? "", (reads.get(m[1] ?? "") ?? false) || Boolean(m[2]));
  }
  // A loop step goes over its `items`.
  for (const m of text.matchAll(new RegExp(String.raw`"items":"\{\{-?\s*${path}`, "g"))) reads.set(m[1] ?? "", true);
  const loopVars = new Set<string>();
  for (const m of text.matchAll(new RegExp(String.raw`\{%-?\s*for\s+(\w+)(?:\s*,\s*\w+)?\s+in\s+${path}`, "g"))) {
    loopVars.add(m[1] ?? "");
    reads.set(m[2] ?? "", true);
  }
  // A template's variable that it counts or goes over is a list: so is what the step's data
  // gives it (`"cart_items": "{{ cart.items }}"`).
  for (const [read, listed] of [...reads]) {
    const given = listed && !read.includes(".") && new RegExp(String.raw`"${read}":"\{\{-?\s*${path}\s*-?\}\}"`).exec(text);
    if (given) reads.set(given[1] ?? "", true);
  }
  // A bare name (`{{ user_name }}`) is a template's variable, given by the step's data.
  return [...reads].map(([read, listed]) => ({ path: read, listed })).filter(({ path: read }) => {
    const root = read.split(".")[0] ?? "";
    return read.includes(".") && root !== "user" && !NOT_IN_EVENT.has(root) && !LOOP_ROOTS.has(root) && !loopVars.has(root);
  });
}

function dataSample({ path, listed }: DataRead): unknown {
  const name = path.split(".").at(-1) ?? path;
  if (listed) return [{ name: "Sample item", quantity: 1, price: 40 }];
  if (/(total|amount|price|count|value|quantity|qty|sum)$/i.test(name)) return 80;
  return `sample ${name}`;
}

function userSample(field: string): unknown {
  if (/phone|mobile|msisdn/i.test(field)) return "+15555550100";
  if (/token/i.test(field)) return "device-token-u1";
  if (/(date|_at|At)$/.test(field)) return new Date().toISOString().slice(0, 10);
  if (/name/i.test(field)) return "Ada";
  return `sample ${field}`;
}

/** The tests to make true: every test of an `all`, the first of an `any`; a `not` is left
 * alone (a missing field makes most negations true). */
function satisfiable(conditions: unknown[]): Test[] {
  return conditions.flatMap((condition): Test[] => {
    if (typeof condition !== "object" || condition === null) return [];
    const c = condition as Record<string, unknown>;
    if (Array.isArray(c["all"])) return satisfiable(c["all"]);
    if (Array.isArray(c["any"])) return satisfiable(c["any"].slice(0, 1));
    if (typeof c["field"] === "string" && typeof c["operator"] === "string") {
      return [{ field: c["field"], operator: c["operator"], value: c["value"] }];
    }
    return [];
  });
}

/** A value for which the test holds; undefined when leaving the field out does (the
 * negations) or none can be made up (`matches`). */
export function satisfying({ operator, value }: Test): unknown {
  switch (operator) {
    case "equals": case "==": case "greater_than_or_equals": case ">=": case "less_than_or_equals": case "<=":
    case "starts_with": case "ends_with":
      return value;
    case "contains":
      return typeof value === "string" ? value : [value];
    case "greater_than": case ">":
      return shifted(value, 1);
    case "less_than": case "<":
      return shifted(value, -1);
    case "between":
      return Array.isArray(value) ? middle(value[0], value[1]) : undefined;
    case "in_list":
      return Array.isArray(value) ? value[0] : undefined;
    case "exists": case "is_not_empty":
      return "sample";
    case "after":
      return new Date(dateOf(value) + DAY_MS).toISOString();
    case "before":
      return new Date(dateOf(value) - DAY_MS).toISOString();
    default:
      return undefined;
  }
}

/** A number moved by `step`, or an ISO date moved by `step` days. */
function shifted(value: unknown, step: number): unknown {
  if (typeof value === "number") return value + step;
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return new Date(Date.parse(value) + step * DAY_MS).toISOString();
  return value;
}

function middle(low: unknown, high: unknown): unknown {
  return typeof low === "number" && typeof high === "number" ? (low + high) / 2 : low;
}

const RELATIVE = /^now(?:([+-])P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?)?$/;

/** The instant a `before`/`after` value names: a date, `now`, or `now±<ISO duration>`. */
export function dateOf(value: unknown, now = Date.now()): number {
  if (typeof value !== "string") return now;
  const relative = RELATIVE.exec(value);
  if (relative) {
    const [, sign, weeks, days, hours, minutes, seconds] = relative;
    const n = (part: string | undefined) => Number(part ?? 0);
    const ms = (((n(weeks) * 7 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60_000 + n(seconds) * 1000;
    return sign === "-" ? now - ms : now + ms;
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? now : parsed;
}

/** Puts `value` at the field's path: `user.*` in the user, anything else in the event's
 * data (where the engine looks first). */
function place(sample: SampleEvent, field: string, value: unknown): void {
  const parts = field.split(".");
  const [root = "", ...rest] = parts;
  if (NOT_IN_EVENT.has(root)) return;
  if (root === "user" && rest.length > 0) setPath(sample.user, rest, value);
  else setPath(sample.data, parts, value);
}

function setPath(target: Record<string, unknown>, parts: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  parts.forEach((part, i) => {
    if (i === parts.length - 1) {
      node[part] = value;
      return;
    }
    const next = node[part];
    if (typeof next !== "object" || next === null) {
      node[part] = /^\d+$/.test(parts[i + 1] ?? "") ? [] : {};
    }
    node = node[part] as Record<string, unknown>;
  });
}
