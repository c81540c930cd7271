// The explorer's filters live in the address (so a filtered list can be linked, e.g. from
// the dashboard): `?workflow_id=…&status=failed&user_id=…&since=…&until=…`.
import type { RunFilter } from "../../api/runs";
import { filterOf, paramsOf } from "../../components/addressFilter";

const NAMES = ["workflow_id", "status", "user_id", "since", "until"] as const;

export function filterFrom(params: URLSearchParams): RunFilter {
  return filterOf(params, NAMES);
}

export function paramsFrom(filter: RunFilter): URLSearchParams {
  return paramsOf(filter, NAMES);
}

/** An ISO instant as a `datetime-local` input's value, in the browser's time zone. */
export function isoToLocal(iso: string | undefined): string {
  if (!iso) return "";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}
