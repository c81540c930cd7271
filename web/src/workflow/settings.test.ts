import { describe, expect, it } from "vitest";
import type { DocumentHead } from "./document";
import { namesOf, namesText } from "./names";
import { errorWorkflowOf, withErrorWorkflow, withTags } from "./settings";

const head: DocumentHead = { workflow_id: "checkout", name: "Checkout", trigger: { type: "order_placed" } };

describe("workflow settings", () => {
  it("parts typed names and keeps what is being typed", () => {
    expect(namesOf(" ")).toBeNull();
    expect(namesOf("billing, emea  emea,")).toEqual(["billing", "emea"]);
    expect(namesText("billing, ", ["billing"])).toBe("billing, ");
    expect(namesText("billing", ["ops", "emea"])).toBe("ops, emea");
  });

  it("sets tags, and removes the field when none is left", () => {
    const tagged = withTags(head, "billing, emea");
    expect(tagged.tags).toEqual(["billing", "emea"]);
    expect("tags" in withTags(tagged, "")).toBe(false);
  });

  it("names an error workflow, keeps the on_failure actions and drops what is empty", () => {
    const actions = [{ type: "log", data: { message: "failed" } }];
    const withActions: DocumentHead = { ...head, settings: { on_failure: { actions }, send_window: { start: "09:00" } } };
    const named = withErrorWorkflow(withActions, "on_call");
    expect(named.settings).toEqual({ on_failure: { actions, workflow_id: "on_call" }, send_window: { start: "09:00" } });
    expect(errorWorkflowOf(named)).toBe("on_call");
    expect(withErrorWorkflow(named, "").settings).toEqual(withActions.settings);
    expect("settings" in withErrorWorkflow(withErrorWorkflow(head, "on_call"), "")).toBe(false);
    expect(errorWorkflowOf(head)).toBe("");
  });
});
