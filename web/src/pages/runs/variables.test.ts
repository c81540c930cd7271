import { describe, expect, it } from "vitest";
import { compact, parseValue, variablesChange } from "./variables";

describe("run variables", () => {
  it("reads a typed value as JSON", () => {
    expect(parseValue('"WELCOME10"')).toEqual({ ok: true, value: "WELCOME10" });
    expect(parseValue(" 10 ")).toEqual({ ok: true, value: 10 });
    expect(parseValue('{"tier": "gold", "tags": [1, false]}')).toEqual({ ok: true, value: { tier: "gold", tags: [1, false] } });
  });

  it("asks for quotes around bare text, and for a value when there is none", () => {
    expect(parseValue("WELCOME10")).toEqual({
      ok: false, error: 'This is not JSON: put text in double quotes, e.g. "WELCOME10".',
    });
    expect(parseValue("  ")).toMatchObject({ ok: false, error: expect.stringContaining("Type a JSON value") });
  });

  it("refuses null, which would remove the variable rather than set it", () => {
    expect(parseValue("null")).toEqual({ ok: false, error: "null removes a variable: use Remove on its row instead." });
  });

  it("lets variables change on a paused or waiting run only", () => {
    expect(variablesChange("paused")).toBe(true);
    expect(variablesChange("waiting")).toBe(true);
    expect(["pending", "running", "completed", "failed", "cancelled"].some((s) => variablesChange(s as never))).toBe(false);
  });

  it("shows a value on one line", () => {
    expect(compact({ a: [1, "b"] })).toBe('{"a":[1,"b"]}');
    expect(compact("x")).toBe('"x"');
  });
});
