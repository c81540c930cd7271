import { expect, it } from "vitest";
import { shallowValid } from "./validator";

it("tells which anyOf option a value fits by type, enum and required keys", () => {
  expect(shallowValid({ type: "string" }, "a")).toBe(true);
  expect(shallowValid({ type: ["string", "integer"] }, 3)).toBe(true);
  expect(shallowValid({ type: "integer" }, 3.5)).toBe(false);
  expect(shallowValid({ type: "object", required: ["url"] }, { method: "GET" })).toBe(false);
  expect(shallowValid({ enum: ["all", "any"] }, "first")).toBe(false);
});
