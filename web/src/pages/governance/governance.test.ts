import { describe, expect, it } from "vitest";
import { tabsFor } from "./GovernancePage";
import { addressedTemplate, partsOf, unsavableBecause } from "./TemplatesPanel";
import { parseJsonObject, unsavableJson } from "./json";
import { unstorableBecause } from "./SecretsPanel";
import { auditFilterFrom } from "./AuditPanel";
import { channelsText, ruleText } from "./AlertsPanel";
import { hookBody, senderUrl } from "./HooksPanel";
import { expiryText, reachText } from "./KeysPanel";
import { retentionBody, retentionForm } from "./SettingsPanel";

describe("governance", () => {
  it("hides secrets, keys and the audit log from lower roles", () => {
    expect(tabsFor(false).map((tab) => tab.label)).toEqual(["Message templates", "Limits & quota", "Alerts", "AI", "Settings"]);
    expect(tabsFor(true).map((tab) => tab.label)).toEqual(["Secrets", "API keys", "Audit log", "Message templates", "Limits & quota", "Alerts", "Hooks", "AI", "Settings"]);
  });

  it("sends an empty template part as none", () => {
    expect(partsOf({ subject: "", text: "Hi {{ user_name }}", html: "" })).toEqual({ subject: null, text: "Hi {{ user_name }}", html: null });
  });

  it("opens the template ?new= names when it exists, a new one otherwise", () => {
    const welcome = { name: "welcome", subject: null, text: "Hi", html: null, created_at: "", updated_at: "" };
    expect(addressedTemplate([welcome], "welcome", true)).toBe(welcome);
    expect(addressedTemplate([welcome], "welcome", false)).toBe(welcome);
    expect(addressedTemplate([welcome], "thanks", true)?.name).toBe("");
    expect(addressedTemplate([welcome], "thanks", false)).toBeNull();
    expect(addressedTemplate(undefined, "thanks", true)).toBeNull(); // the list is not here yet
  });

  it("says why a template cannot be saved yet", () => {
    expect(unsavableBecause(true, " ", true)).toBe("To create the template, name it, and fill in the plain text or the HTML (a template needs a body).");
    expect(unsavableBecause(true, "welcome", false)).toBeNull();
    expect(unsavableBecause(false, "welcome", true)).toBe("To save the template, fill in the plain text or the HTML (a template needs a body).");
  });

  it("says why JSON cannot be saved yet, the parser's words included", () => {
    expect(unsavableJson("save the limits", "Expected a JSON object ({ … }).")).toBe("To save the limits, correct the JSON. Expected a JSON object ({ … }).");
    expect(unsavableJson("save the limits", null)).toBeNull();
  });

  it("says why a secret cannot be stored yet", () => {
    expect(unstorableBecause(" ", "")).toBe("To store the secret, name it, and type its value.");
    expect(unstorableBecause("SENDGRID_API_KEY", "")).toBe("To store the secret, type its value.");
    expect(unstorableBecause("SENDGRID_API_KEY", "s3cret")).toBeNull();
  });

  it("says what is wrong with typed JSON", () => {
    expect(parseJsonObject('{"quota": {"limit": 5, "period": "1d"}}')).toEqual({ value: { quota: { limit: 5, period: "1d" } }, error: null });
    expect(parseJsonObject("[1]").error).toBe("Expected a JSON object ({ … }).");
    expect(parseJsonObject("{").error).toMatch(/^Not valid JSON/);
  });

  it("reads the audit filters a run's page links with", () => {
    expect(auditFilterFrom(new URLSearchParams("entity_type=run&entity_id=run_1&x=y"))).toEqual({ entity_type: "run", entity_id: "run_1" });
  });

  it("says an alert rule in words", () => {
    const rule = { rule_id: "r", workflow_id: null, window_minutes: 15, threshold: 0.25, min_runs: 10, email: ["ops@example.com"], webhook_url: "https://hooks.example.com/a" };
    const names = new Map([["browser_checkout", "Checkout"]]);
    expect(ruleText(rule, names)).toBe("any workflow: 25 % or more of at least 10 ended runs failed in 15 min");
    expect(ruleText({ ...rule, workflow_id: "browser_checkout" }, names))
      .toBe("Checkout (browser_checkout): 25 % or more of at least 10 ended runs failed in 15 min");
    expect(ruleText({ ...rule, workflow_id: "unnamed" }, names)).toMatch(/^unnamed: 25 %/);
    expect(channelsText(rule)).toBe("ops@example.com, https://hooks.example.com/a");
  });

  it("builds a hook from its form, or says all that is left to fill in", () => {
    const draft = { name: " Stripe ", eventType: "payment_succeeded", scheme: "stripe" as const, secret: "", mapping: "" };
    expect(hookBody(draft).unaddable).toBe("To add the hook, pick the signing secret (the sender signs each delivery with it).");
    expect(hookBody({ ...draft, name: " ", eventType: "" }).unaddable)
      .toBe("To add the hook, name it, give the event type its deliveries become, and pick the signing secret (the sender signs each delivery with it).");
    expect(hookBody({ ...draft, secret: "STRIPE_KEY" }).body).toEqual({
      name: "Stripe", event_type: "payment_succeeded", verify: { scheme: "stripe", secret: "STRIPE_KEY", tolerance: 300 }, mapping: {},
    });
    expect(hookBody({ ...draft, scheme: "token", secret: "STRIPE_KEY", mapping: '{"user": {"id": "{{ body.id }}"}}' }).body?.verify.secret).toBeNull();
    expect(hookBody({ ...draft, scheme: "token", mapping: "[1]" }).unaddable).toBe("To add the hook, correct the mapping's JSON. Expected a JSON object ({ … }).");
    expect(senderUrl({ url: "/hooks/hk_1" }, "http://127.0.0.1:5000")).toBe("http://127.0.0.1:5000/hooks/hk_1");
  });

  it("says a key's limits in words", () => {
    expect(reachText({ workflows: null, tags: null })).toBe("the whole tenant");
    expect(reachText({ workflows: ["checkout"], tags: ["emea", "billing"] })).toBe("workflows checkout; workflows tagged emea, billing");
  });

  it("shows a key's expiry: never, expired, soon within a week, or its time", () => {
    const now = new Date("2026-12-07T12:00:00Z");
    expect(expiryText(null, now)).toEqual({ text: "never", soon: false });
    expect(expiryText("2026-12-07T11:00:00Z", now).text).toMatch(/^expired 2026-12-07 /);
    expect(expiryText("2026-12-10T12:00:00Z", now)).toMatchObject({ soon: true, text: expect.stringMatching(/ \(soon\)$/) });
    expect(expiryText("2027-01-31T12:00:00Z", now)).toMatchObject({ soon: false, text: expect.stringMatching(/^2027-01-31 /) });
  });

  it("reads retention days from the form: empty keeps for ever, a bad number is named", () => {
    const form = retentionForm({ events_days: 30, runs_days: null, outbox_days: 7, audit_days: null });
    expect(form).toEqual({ events_days: "30", runs_days: "", outbox_days: "7", audit_days: "" });
    expect(retentionBody({ ...form, audit_days: " 365 " }).body).toEqual({ events_days: 30, runs_days: null, outbox_days: 7, audit_days: 365 });
    expect(retentionBody({ ...form, runs_days: "1.5" }).error).toBe("Finished runs: a whole number of days from 1 to 36,500, or empty to keep them for ever.");
    expect(retentionBody({ ...form, events_days: "0" }).body).toBeNull();
  });
});
