/** A success rate in percent (as the API gives it) as text; "–" when there were no runs. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return "–";
  return Number.isInteger(rate) ? `${rate} %` : `${rate.toFixed(1)} %`;
}
