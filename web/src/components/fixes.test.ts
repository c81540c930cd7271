import { expect, it } from "vitest";
import { backTo, fixFor } from "./fixes";

it("leads a missing template or secret to the Governance page that makes it, named", () => {
  const studioFirst = "message template 'welcome_email' was not found; create it in the Studio under Governance → Message templates, or with POST /api/templates";
  expect(fixFor(studioFirst)).toMatchObject({ to: "/governance/templates?new=welcome_email", problem: "message template 'welcome_email' was not found" });
  expect(fixFor("secret 'NOPE_KEY' is not set: store it in the Studio under Governance → Secrets, or with PUT /api/secrets/NOPE_KEY")?.problem).toBe("secret 'NOPE_KEY' is not set");
  expect(fixFor("message template 'welcome_email' was not found; create it with POST /api/templates")?.to).toBe("/governance/templates?new=welcome_email");
  expect(fixFor("secret 'NOPE_KEY' is not set: store it with PUT /api/secrets/NOPE_KEY")).toMatchObject({ to: "/governance/secrets?name=NOPE_KEY", adminOnly: true });
  expect(fixFor("no SMTP server is configured (AUTOMATOR_SMTP_HOST ...)")).toBeNull();
});

it("leads back to the workflow or run whose message linked to the fix, with its state", () => {
  const draft = { document: { workflow_id: "w" } };
  expect(backTo("/wizard/canvas", "", draft)).toEqual({ to: "/wizard/canvas", state: draft, label: "Back to the workflow" });
  expect(backTo("/workflows/welcome", "?step=a1", null).label).toBe("Back to the workflow");
  expect(backTo("/runs/run_1", "", null)).toMatchObject({ to: "/runs/run_1", label: "Back to the run" });
});
