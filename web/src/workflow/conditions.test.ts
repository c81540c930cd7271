import { expect, it } from "vitest";
import { formEditable, fromForm, toForm } from "./conditions";

it("round-trips typed values through the form's text", () => {
  const conditions = [
    { field: "total", operator: "greater_than", value: 100 },
    { field: "email", operator: "ends_with", value: "@example.com" },
    { field: "tier", operator: "in_list", value: ["gold", "vip"] },
    { field: "phone", operator: "exists" },
    { field: "zip", operator: "equals", value: "100" },
  ];
  expect(fromForm(toForm(conditions))).toEqual(conditions);
});

it("leaves groups to the JSON tab", () => {
  expect(formEditable([{ any: [{ field: "a", operator: "exists" }] }])).toBe(false);
});
