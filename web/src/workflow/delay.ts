// A delay as a number and a unit, the way a marketer says it ("5 minutes"), read from and
// written back to the document's own forms: seconds, or an ISO 8601 duration.
import { delaySeconds } from "./document";

export const DELAY_UNITS = ["seconds", "minutes", "hours", "days"] as const;
export type DelayUnit = (typeof DELAY_UNITS)[number];

const SECONDS: Readonly<Record<DelayUnit, number>> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

export interface DelayAmount {
  amount: number;
  unit: DelayUnit;
}

/** The delay in the largest unit that counts it whole (300 → 5 minutes, P1DT12H → 36 hours);
 * null for one no unit here holds (months, years, text that is no duration), which the
 * inspector then shows as the text it is. */
export function readDelay(delay: number | string | undefined): DelayAmount | null {
  // Digits as text are no delay to the API (it takes a number, or ISO text): shown as typed.
  const seconds = typeof delay === "string" && /^\d/.test(delay) ? null : delaySeconds(delay);
  if (seconds === null) return null;
  const unit = (["days", "hours", "minutes"] as const).find((u) => seconds > 0 && seconds % SECONDS[u] === 0) ?? "seconds";
  return { amount: seconds / SECONDS[unit], unit };
}

/** `amount` of `unit` as the document holds it: seconds as a number, a whole number of
 * minutes, hours or days as ISO 8601 (PT5M, PT2H, P1D) that reads as typed; anything else
 * (a fraction, a negative the API will refuse) as its seconds. */
export function writeDelay(amount: number, unit: DelayUnit): number | string {
  if (unit === "seconds" || !Number.isInteger(amount) || amount <= 0) return amount * SECONDS[unit];
  return unit === "days" ? `P${amount}D` : `PT${amount}${unit === "hours" ? "H" : "M"}`;
}
