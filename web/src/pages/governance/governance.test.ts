import { describe, expect, it } from "vitest";
import { tabsFor } from "./GovernancePage";
import { partsOf } from "./TemplatesPanel";
import { parseJsonObject } from "./json";
import { auditFilterFrom } from "./AuditPanel";

describe("governance", () => {
  it("hides secrets, keys and the audit log from lower roles", () => {
    expect(tabsFor(false).map((tab) => tab.label)).toEqual(["Templates", "Limits & quota"]);
    expect(tabsFor(true).map((tab) => tab.label)).toEqual(["Secrets", "API keys", "Audit log", "Templates", "Limits & quota"]);
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
});
