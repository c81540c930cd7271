// What a role may do in the console; the API checks the same rules on every request.
import type { Role } from "./session";

/** Edit, save, publish, enable, archive, import: admins and editors. */
export function canEdit(role: Role): boolean {
  return role === "admin" || role === "editor";
}

/** Pause, resume, cancel, retry, skip a run: admins and editors. */
export function canControlRuns(role: Role): boolean {
  return canEdit(role);
}

/** Keys, secrets and tenant limits: admins only. */
export function canGovern(role: Role): boolean {
  return role === "admin";
}

/** Send a real event (`POST /api/events`): admins, editors and ingest keys. */
export function canSendEvents(role: Role): boolean {
  return canEdit(role) || role === "ingest";
}
