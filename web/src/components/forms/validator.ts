// A JSON-Schema form validator that compiles nothing: the API validates every document on
// save, and ajv's compiled validators need 'unsafe-eval', which the Studio's CSP forbids.
// rjsf asks `isValid` to pick an anyOf/oneOf option: a shallow check of type and required.
import type { RJSFSchema, ValidatorType } from "@rjsf/utils";

function typeMatches(type: unknown, value: unknown): boolean {
  if (type === undefined) return true;
  if (Array.isArray(type)) return type.some((t) => typeMatches(t, value));
  switch (type) {
    case "null": return value === null;
    case "array": return Array.isArray(value);
    case "object": return typeof value === "object" && value !== null && !Array.isArray(value);
    case "integer": return Number.isInteger(value);
    case "number": return typeof value === "number";
    default: return typeof value === type;
  }
}

export function shallowValid(schema: RJSFSchema, value: unknown): boolean {
  if (value === undefined) return true;
  if (!typeMatches(schema.type, value)) return false;
  if (schema.const !== undefined && schema.const !== value) return false;
  if (Array.isArray(schema.enum) && !schema.enum.includes(value as never)) return false;
  if (Array.isArray(schema.required) && typeof value === "object" && value !== null) {
    return schema.required.every((key) => key in value);
  }
  return true;
}

export const formValidator: ValidatorType = {
  validateFormData: () => ({ errors: [], errorSchema: {} }),
  isValid: (schema, formData) => shallowValid(schema, formData),
  rawValidation: () => ({ errors: [] }),
};

// @rjsf/core's test helper imports the ajv validator by name; the build points that name here.
export default formValidator;
