import { expect, it } from "vitest";
import { warningFix } from "./warningFix";

it("leads a missing template or secret to the Governance page that makes it", () => {
  expect(warningFix("message template 'welcome_email' was not found; create it with POST /api/templates")?.to).toBe("/governance/templates");
  expect(warningFix("secret 'NOPE_KEY' is not set: store it with PUT /api/secrets/NOPE_KEY")).toMatchObject({ to: "/governance/secrets", adminOnly: true });
  expect(warningFix("no SMTP server is configured (AUTOMATOR_SMTP_HOST ...)")).toBeNull();
});
