// What the palette offers: the flow steps the document format itself defines, then every
// action of every installed connector (GET /api/connectors), a custom one included.
import type { Action, WorkflowDocument } from "./document";
import { freshId } from "./edits";

export type JsonSchema = Record<string, unknown>;

export interface PaletteItem {
  /** Unique in the palette: the action type, or `custom_action:<connector>.<action>`. */
  key: string;
  type: string;
  label: string;
  description: string;
  group: string;
  /** The JSON Schema of the form's `data` (for a custom action: of `data.params`). */
  schema: JsonSchema;
  make: (doc: WorkflowDocument) => Action;
}

export interface CatalogueConnector {
  code: string;
  name: string;
  actions: { name: string; action_type: string; description: string; input_schema: JsonSchema }[];
}

const text = (description: string, extra: JsonSchema = {}): JsonSchema => ({ type: "string", description, ...extra });
// Drawn with the delay's amount-and-unit picker (the inspector's `duration` widget).
const duration = (description: string) => text(description, { format: "duration" });

const FLOW_SCHEMAS: Record<string, JsonSchema> = {
  condition: { type: "object", properties: {} },
  delay: { type: "object", properties: {} },
  wait_for_event: {
    type: "object",
    required: ["event", "timeout"],
    properties: {
      event: text("The event type waited for.", { pattern: "^[A-Za-z0-9][A-Za-z0-9_.:\\-]{0,127}$" }),
      match: { type: "object", description: "Dotted paths of the event → values (templates).", additionalProperties: { type: "string" } },
      timeout: duration("How long to wait before the on-timeout actions run."),
      lookback: duration("How far back an already accepted event also counts."),
    },
  },
  approval: {
    type: "object",
    properties: {
      timeout: duration("How long to wait for a decision before the on-timeout actions run (default P3D)."),
      message: text("What is to be approved, shown to whoever decides (a template)."),
    },
  },
  split: {
    type: "object",
    properties: {
      holdout: { type: "number", minimum: 0, maximum: 99.99, description: "Percent of runs that take no variant." },
      key: text("A template naming who is assigned (default: the user's id)."),
    },
  },
  loop: {
    type: "object",
    required: ["items"],
    properties: {
      items: text("The list to go over: a template such as {{ cart.items }}."),
      max_iterations: { type: "integer", minimum: 1, maximum: 1000 },
    },
  },
  parallel: {
    type: "object",
    properties: {
      join: { type: "string", enum: ["all", "any", "first"], description: "When the branches have joined." },
      count: { type: "integer", minimum: 1, maximum: 10, description: "With join first: how many." },
    },
  },
  trigger_workflow: {
    type: "object",
    required: ["workflow_id"],
    properties: {
      workflow_id: text("The workflow to start."),
      data: { type: "object", description: "The sub-run's event data.", additionalProperties: true },
      wait: { type: "boolean", description: "Wait for the sub-run to end." },
    },
  },
  set: { type: "object", description: "Run variables to set.", additionalProperties: { type: "string" } },
  log: { type: "object", properties: { message: text("What to write to the run's log.") } },
  stop: { type: "object", properties: {} },
};

type Maker = (id: string, doc: WorkflowDocument) => Action;

const FLOW_STEPS: [string, string, string, Maker][] = [
  ["condition", "Condition", "Branch on a condition (then / else)", (id) => ({
    id, type: "condition", conditions: [{ field: "total", operator: "greater_than", value: 100 }], then: [], else: [],
  })],
  ["delay", "Delay", "Wait before the next action", (id) => ({ id, type: "delay", delay: 300 })],
  ["wait_for_event", "Wait for event", "Wait for another event, with a timeout", (id) => ({
    id, type: "wait_for_event", data: { event: "purchase_completed", match: { "user.id": "{{user.id}}" }, timeout: "P1D" }, on_event: [], on_timeout: [],
  })],
  ["approval", "Approval", "Wait for a person to approve or reject, with a timeout", (id) => ({
    id, type: "approval", data: { timeout: "P3D" }, on_approve: [], on_reject: [], on_timeout: [],
  })],
  ["split", "A/B split", "Send runs down weighted variants", (id) => ({
    id, type: "split", data: {}, variants: [{ name: "a", weight: 1, actions: [] }, { name: "b", weight: 1, actions: [] }],
  })],
  ["loop", "Loop", "Repeat actions over a list", (id) => ({ id, type: "loop", data: { items: "{{ items }}" }, actions: [] })],
  ["parallel", "Parallel", "Run branches at once, then join", (id) => ({
    id, type: "parallel", data: { join: "all" },
    branches: ["a", "b"].map((name) => ({ name, actions: [{ id: `${id}_${name}_log`, type: "log", data: { message: `branch ${name}` } }] })),
  })],
  ["trigger_workflow", "Start workflow", "Start another workflow", (id) => ({ id, type: "trigger_workflow", data: { workflow_id: "" } })],
  ["set", "Set variables", "Set run variables", (id) => ({ id, type: "set", data: {} })],
  ["log", "Log", "Write a message to the run's log", (id) => ({ id, type: "log", data: { message: "" } })],
  ["stop", "Stop", "End the run", (id) => ({ id, type: "stop" })],
];

// Words a person writes their own way, not as a lower-case word.
const SPELLED: Record<string, string> = { ai: "AI", api: "API", http: "HTTP", sms: "SMS", url: "URL", whatsapp: "WhatsApp" };

/** `send_email` → "Send email", `send_sms` → "Send SMS". */
export function sentence(name: string): string {
  const words = name.split("_").map((word) => SPELLED[word] ?? word).join(" ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The palette: flow steps first, then each connector's actions. */
export function buildPalette(connectors: CatalogueConnector[]): PaletteItem[] {
  const flow = FLOW_STEPS.map(([type, label, description, make]): PaletteItem => ({
    key: type, type, label, description, group: "Flow", schema: FLOW_SCHEMAS[type] ?? {},
    make: (doc) => make(freshId(doc, type), doc),
  }));
  // GET /api/connectors also lists the engine's own steps (its `flow` entry): offered once.
  const flowTypes = new Set(FLOW_STEPS.map(([type]) => type));
  const actions = connectors.flatMap((connector) =>
    connector.actions.filter((action) => !flowTypes.has(action.action_type)).map((action): PaletteItem => {
      const custom = action.action_type !== action.name;
      const type = action.action_type;
      return {
        key: custom ? `${type}:${connector.code}.${action.name}` : type,
        type,
        label: sentence(action.name),
        description: action.description,
        group: connector.name,
        schema: action.input_schema,
        make: (doc) => ({
          id: freshId(doc, custom ? action.name : type),
          type,
          data: custom ? { connector: connector.code, action: action.name, params: {} } : {},
        }),
      };
    }),
  );
  return [...flow, ...actions];
}

/** The palette item an action was made from (a custom action: by its connector and action). */
export function itemFor(palette: PaletteItem[], action: Action): PaletteItem | undefined {
  if (action.type === "custom_action") {
    const key = `custom_action:${String(action.data?.["connector"])}.${String(action.data?.["action"])}`;
    return palette.find((item) => item.key === key);
  }
  return palette.find((item) => item.key === action.type);
}
