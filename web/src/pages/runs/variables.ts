// A run's variables as an operator edits them: the value typed as JSON, read before it is
// sent, and the states in which the API lets them change.
import type { RunStatus } from "../../components/runStatus";

export type ParsedValue = { ok: true; value: unknown } | { ok: false; error: string };

/** The value typed for a variable, read as JSON; text must be quoted, `null` would remove it. */
export function parseValue(text: string): ParsedValue {
  if (!text.trim()) return { ok: false, error: 'Type a JSON value, e.g. "WELCOME10", 10, true or {"tier": "gold"}.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: `This is not JSON: put text in double quotes, e.g. ${JSON.stringify(text.trim())}.` };
  }
  if (value === null) return { ok: false, error: "null removes a variable: use Remove on its row instead." };
  return { ok: true, value };
}

/** Variables change on a run that is paused or waiting, as `PATCH /api/runs/{id}/variables`
 * allows; on any other the API answers 409, which the editor shows. */
export function variablesChange(status: RunStatus): boolean {
  return status === "paused" || status === "waiting";
}

/** A value on one line, as the variables table shows it. */
export function compact(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
