import { expect, it } from "vitest";
import { freeIdFrom, TEMPLATES } from "../../workflow/templates";
import { draftDocument } from "./WizardPage";

const event = { kind: "event" as const, eventType: "cart_abandoned", cron: "", timezone: "" };

it("makes a blank workflow with the chosen trigger", () => {
  expect(draftDocument(null, "w1", "W one", event)).toEqual({ workflow_id: "w1", name: "W one", trigger: { type: "cart_abandoned" }, actions: [] });
});

it("copies a template's actions and keeps its trigger conditions for the same event", () => {
  const seed = TEMPLATES.find((t) => t.file === "welcome_campaign_001.json")!.document;
  const doc = draftDocument(seed, "welcome_2", "Welcome 2", { ...event, eventType: "user_signup" });
  expect(doc.actions).toEqual(seed.actions);
  expect(doc.trigger).toEqual(seed.trigger);
  expect(doc.workflow_id).toBe("welcome_2");
});

it("schedules with cron and time zone", () => {
  const doc = draftDocument(null, "daily", "Daily", { kind: "schedule", eventType: "", cron: "0 9 * * *", timezone: "Europe/Berlin" });
  expect(doc.trigger).toEqual({ type: "schedule", cron: "0 9 * * *", timezone: "Europe/Berlin" });
});

it("starts a template's copy on the template's id, or the next free one counting from it", () => {
  expect(freeIdFrom("welcome_campaign_001", new Set())).toBe("welcome_campaign_001");
  expect(freeIdFrom("welcome_campaign_001", new Set(["welcome_campaign_001", "welcome_campaign_002"]))).toBe("welcome_campaign_003");
  expect(freeIdFrom("abandoned_cart_recovery", new Set(["abandoned_cart_recovery"]))).toBe("abandoned_cart_recovery_2");
  expect(freeIdFrom("step9", new Set(["step9"]))).toBe("step10");
});
