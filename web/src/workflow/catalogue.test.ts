import { expect, it } from "vitest";
import { buildPalette, itemFor, sentence } from "./catalogue";
import type { WorkflowDocument } from "./document";
import { sampleEvent } from "./sample";

const CONNECTORS = [
  { code: "notify", name: "Notify", actions: [{ name: "send_email", action_type: "send_email", description: "", input_schema: { type: "object" } }] },
  { code: "legacy_erp", name: "Legacy ERP", actions: [{ name: "create_order", action_type: "custom_action", description: "", input_schema: { type: "object", properties: { items: { type: "array" } } } }] },
];
const EMPTY: WorkflowDocument = { workflow_id: "w", name: "w", trigger: { type: "t" }, actions: [{ id: "send_email_1", type: "send_email" }] };

it("offers the flow steps, then every connector's actions, a custom one included", () => {
  const palette = buildPalette(CONNECTORS);
  expect(palette.slice(0, 2).map((i) => i.label)).toEqual(["Condition", "Delay"]);
  expect(palette.slice(-2).map((i) => [i.group, i.label])).toEqual([["Notify", "Send email"], ["Legacy ERP", "Create order"]]);
});

it("makes new actions with ids no action has, a custom action naming its connector", () => {
  const palette = buildPalette(CONNECTORS);
  expect(palette.find((i) => i.key === "send_email")?.make(EMPTY)).toEqual({ id: "send_email_2", type: "send_email", data: {} });
  const custom = palette.find((i) => i.key === "custom_action:legacy_erp.create_order")!.make(EMPTY);
  expect(custom).toEqual({ id: "create_order_1", type: "custom_action", data: { connector: "legacy_erp", action: "create_order", params: {} } });
  expect(itemFor(palette, custom)?.schema).toEqual(CONNECTORS[1]!.actions[0]!.input_schema);
});

it("offers a flow step the API also lists once, and the API's other flow actions", () => {
  const flow = { code: "flow", name: "Flow control", actions: ["delay", "approval", "pause_for_review"].map((name) => (
    { name, action_type: name, description: "", input_schema: { type: "object" } })) };
  const palette = buildPalette([...CONNECTORS, flow]);
  expect(palette.filter((i) => i.label === "Delay")).toHaveLength(1);
  expect(palette.filter((i) => i.label === "Approval")).toHaveLength(1);
  expect(palette.at(-1)?.key).toBe("pause_for_review");
});

it("makes an approval with its three branches, empty, for the canvas to draw", () => {
  const approval = buildPalette([]).find((i) => i.key === "approval")!;
  expect(approval.group).toBe("Flow");
  expect(approval.make(EMPTY)).toEqual({
    id: "approval_1", type: "approval", data: { timeout: "P3D" }, on_approve: [], on_reject: [], on_timeout: [],
  });
});

it("names actions as a person writes them, acronyms and brands included", () => {
  expect(["send_email", "send_sms", "send_whatsapp", "ai_task", "webhook_call"].map(sentence))
    .toEqual(["Send email", "Send SMS", "Send WhatsApp", "AI task", "Webhook call"]);
});

it("adds a condition that reads the event's data where events carry it: at the root", () => {
  const palette = buildPalette([]);
  const doc: WorkflowDocument = { ...EMPTY, actions: [palette.find((i) => i.key === "condition")!.make(EMPTY)] };
  // The Test tab's sample is an event as docs/api.md shows one: the business fields in
  // `data`, which the run's context holds at its root (`data.total` would need data.data).
  expect(sampleEvent(doc).data).toEqual({ total: 101 });
});
