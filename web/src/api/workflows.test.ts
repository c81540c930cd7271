import { expect, it } from "vitest";
import { importOutcome, publishOutcome, saveOutcome, workflowOptions, type WorkflowRead } from "./workflows";

const saved = (version: number, active: number | null, pending: number | null): WorkflowRead => ({
  workflow_id: "welcome", name: "Welcome", trigger_type: "user_signup", version, latest_version: version,
  active_version: active, enabled: true, archived: false, tags: [], created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z", document: {},
  pending_approval: pending === null ? null : { version: pending, requested_by: "key_a", requested_at: "2026-01-01T00:00:00Z" },
});

it("says a publish waits for another key's approval under four eyes, else that it is active", () => {
  expect(publishOutcome(saved(2, 2, null))).toBe("Published version 2 (active)");
  expect(publishOutcome(saved(2, 1, 2))).toBe("Version 2 is waiting for approval by another key");
  // A version saved while an older one waits is not the one waiting.
  expect(publishOutcome(saved(3, 3, 2))).toBe("Published version 3 (active)");
});

it("says how many steps of a save would fail now, the save standing", () => {
  const warning = { action_id: "sink", action_type: "webhook_call", message: "refused to connect to 127.0.0.1" };
  expect(saveOutcome({ ...saved(2, 2, null), warnings: [] }, true)).toBe("Published version 2 (active)");
  expect(saveOutcome({ ...saved(2, 2, null), warnings: [warning] }, true))
    .toBe("Published version 2 (active); 1 step would fail if a run reached it now");
  expect(saveOutcome({ ...saved(3, 2, null), warnings: [warning, warning] }, false))
    .toBe("Saved draft version 3; 2 steps would fail if a run reached them now");
});

it("says what an import made of each file and how many of its steps would fail now", () => {
  const warning = { action_id: "welcome", action_type: "send_email", message: "message template 'welcome' was not found" };
  const item = { source: "onboarding.json", status: "created" as const, workflow_id: "user_onboarding", version: 1, error: null };
  expect(importOutcome({ ...item, warnings: [] })).toBe("onboarding.json: created — user_onboarding v1");
  expect(importOutcome({ ...item, warnings: [warning, warning] }))
    .toBe("onboarding.json: created — user_onboarding v1; 2 steps would fail if a run reached them now");
  expect(importOutcome({ ...item, status: "unchanged", warnings: [warning] }))
    .toBe("onboarding.json: unchanged — user_onboarding v1; 1 step would fail if a run reached it now");
  expect(importOutcome({ ...item, status: "error", workflow_id: null, version: null, error: { message: "not JSON" } }))
    .toBe("onboarding.json: error");
});

it("offers workflows by name, the id telling apart two that share one or showing for one unnamed", () => {
  const names = new Map([["welcome_campaign_001", "Welcome Campaign"], ["cart_a", "Cart recovery"], ["cart_b", "Cart recovery"]]);
  expect(workflowOptions(["welcome_campaign_001", "cart_b", "cart_a", "gone"], names)).toEqual([
    { id: "cart_a", label: "Cart recovery (cart_a)" },
    { id: "cart_b", label: "Cart recovery (cart_b)" },
    { id: "gone", label: "gone" },
    { id: "welcome_campaign_001", label: "Welcome Campaign" },
  ]);
});
