// Conditions as a form edits them: field, operator, and a value typed as JSON (100, true,
// ["a","b"]) or plain text.
import { textOfValue, valueOfText } from "../components/forms/anyValue";

export const OPERATORS = [
  "equals", "not_equals", "contains", "not_contains", "greater_than", "less_than",
  "greater_than_or_equals", "less_than_or_equals", "is_empty", "is_not_empty", "in_list",
  "not_in_list", "starts_with", "ends_with", "exists", "not_exists", "between", "matches",
  "before", "after",
];

export const CONDITIONS_SCHEMA = {
  type: "array",
  title: "Conditions",
  items: {
    type: "object",
    title: "Condition",
    required: ["field", "operator"],
    properties: {
      field: { type: "string", title: "Field", description: "A path in the run context: the event's data at the root (total, cart.items.0.price), then user.email, vars.name" },
      operator: { type: "string", title: "Operator", enum: OPERATORS },
      value: { type: "string", title: "Value", description: 'JSON (100, true, ["a","b"]) or text' },
    },
  },
};

interface FormCondition {
  field?: string;
  operator?: string;
  value?: string;
}

/** Whether every condition is a plain test (groups of all/any/not are edited as JSON). */
export function formEditable(conditions: unknown[] | undefined): boolean {
  return (conditions ?? []).every((c) => typeof c === "object" && c !== null && !("all" in c) && !("any" in c) && !("not" in c));
}

export function toForm(conditions: unknown[] | undefined): FormCondition[] {
  return (conditions ?? []).map((c) => {
    const { field, operator, value } = c as { field?: string; operator?: string; value?: unknown };
    const shown: FormCondition = {};
    if (field !== undefined) shown.field = field;
    if (operator !== undefined) shown.operator = operator;
    if (value !== undefined) shown.value = textOfValue(value);
    return shown;
  });
}

export function fromForm(rows: FormCondition[]): Record<string, unknown>[] {
  return rows.map(({ field, operator, value }) => {
    const condition: Record<string, unknown> = { field: field ?? "", operator: operator ?? "equals" };
    if (value !== undefined && value !== "") condition["value"] = valueOfText(value);
    return condition;
  });
}
