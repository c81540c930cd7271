import { describe, expect, it } from "vitest";
import { tabsFor } from "./GovernancePage";
import { partsOf } from "./TemplatesPanel";
import { parseJsonObject } from "./json";
import { auditFilterFrom } from "./AuditPanel";
import { channelsText, ruleText } from "./AlertsPanel";

describe("governance", () => {
  it("hides secrets, keys and the audit log from lower roles", () => {
    expect(tabsFor(false).map((tab) => tab.label)).toEqual(["Templates", "Limits & quota", "Alerts"]);
    expect(tabsFor(true).map((tab) => tab.label)).toEqual(["Secrets", "API keys", "Audit log", "Templates", "Limits & quota", "Alerts"]);
  });

  it("sends an empty template part as none", () => {
    expect(partsOf({ subject: "", text: "Hi {{ user_name }}", html: "" })).toEqual({ subject: null, text: "Hi {{ user_name }}", html: null });
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
    expect(ruleText(rule)).toBe("any workflow: 25 % or more of at least 10 ended runs failed in 15 min");
    expect(channelsText(rule)).toBe("ops@example.com, https://hooks.example.com/a");
  });
});
