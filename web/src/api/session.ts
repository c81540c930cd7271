// Sign-in through POST /api/session: the key goes to the API once and is never kept; the
// Studio holds only what the session endpoint returns, in memory.
import { api, ApiError } from "./client";

export type Role = "admin" | "editor" | "viewer" | "ingest";

export interface SessionInfo {
  tenant_id: string;
  role: Role;
  key_id: string;
  name?: string | null;
}

export function signIn(apiKey: string): Promise<SessionInfo> {
  return api<SessionInfo>("POST", "/api/session", { body: { api_key: apiKey } });
}

/** The current session, or null when there is none (401, or a service without sessions). */
export async function currentSession(): Promise<SessionInfo | null> {
  try {
    return await api<SessionInfo>("GET", "/api/session");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 404)) return null;
    throw error;
  }
}

export function signOut(): Promise<void> {
  return api<void>("DELETE", "/api/session");
}
