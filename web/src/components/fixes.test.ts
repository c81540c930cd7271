import { expect, it } from "vitest";
import { fixFor } from "./fixes";

it("leads a missing template or secret to the Governance page that makes it, named", () => {
  expect(fixFor("message template 'welcome_email' was not found; create it with POST /api/templates")?.to).toBe("/governance/templates?new=welcome_email");
  expect(fixFor("secret 'NOPE_KEY' is not set: store it with PUT /api/secrets/NOPE_KEY")).toMatchObject({ to: "/governance/secrets?name=NOPE_KEY", adminOnly: true });
  expect(fixFor("no SMTP server is configured (AUTOMATOR_SMTP_HOST ...)")).toBeNull();
});
