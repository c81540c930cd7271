import { expect, it } from "vitest";
import { textOfValue, valueOfText } from "./anyValue";

it("reads JSON where the text is JSON and keeps other text as text", () => {
  expect(valueOfText('{"plan": "{{ plan }}", "n": 2}')).toEqual({ plan: "{{ plan }}", n: 2 });
  expect(valueOfText("{{ steps.rows.output.rows }}")).toBe("{{ steps.rows.output.rows }}");
  expect(valueOfText("100")).toBe(100);
  expect(valueOfText("  ")).toBeUndefined();
});

it("shows every value so that reading it back gives the same value", () => {
  for (const value of [{ a: [1, "x"] }, ["gold", "vip"], 100, true, null, "pro", "100", "true", "{{ total }}"]) {
    expect(valueOfText(textOfValue(value))).toEqual(value);
  }
  expect(textOfValue("pro")).toBe("pro");
  expect(textOfValue("100")).toBe('"100"');
  expect(textOfValue(undefined)).toBe("");
});
