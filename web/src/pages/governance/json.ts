// A JSON object typed by a person: the value, or what is wrong with it in words.
export function parseJsonObject(text: string): { value: Record<string, unknown> | null; error: string | null } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return { value: null, error: `Not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { value: null, error: "Expected a JSON object ({ … })." };
  }
  return { value: value as Record<string, unknown>, error: null };
}

/** Why a JSON editor's Save is greyed, the parser's complaint included (null: it saves). */
export function unsavableJson(goal: string, error: string | null): string | null {
  return error ? `To ${goal}, correct the JSON. ${error}` : null;
}
