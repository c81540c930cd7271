// The signed-in session, held in memory only (react-query's cache): a reload asks the API
// again, which answers from the HttpOnly cookie.
import { createContext, useContext, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { currentSession, signIn, signOut, type SessionInfo } from "../api/session";
import { canControlRuns, canEdit, canGovern, canSendEvents } from "../api/roles";

interface SessionState {
  session: SessionInfo;
  canEdit: boolean;
  canControlRuns: boolean;
  canGovern: boolean;
  canSendEvents: boolean;
  signOut: () => void;
}

const SessionContext = createContext<SessionState | null>(null);
const SESSION_KEY = ["session"] as const;

/** The session of the signed-in person; only inside a signed-in page. */
export function useSession(): SessionState {
  const state = useContext(SessionContext);
  if (state === null) throw new Error("useSession outside a signed-in page");
  return state;
}

export function useSessionQuery() {
  return useQuery({ queryKey: SESSION_KEY, queryFn: currentSession, staleTime: Infinity, retry: false });
}

export function useSignIn() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: signIn,
    onSuccess: (session) => client.setQueryData(SESSION_KEY, session),
  });
}

export function SessionProvider({ session, children }: { session: SessionInfo; children: ReactNode }) {
  const client = useQueryClient();
  const end = useMutation({
    mutationFn: signOut,
    onSettled: () => {
      // The sign-in page first (the session observer stays subscribed), then forget the
      // signed-in person's data.
      client.setQueryData(SESSION_KEY, null);
      client.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
    },
  });
  const state: SessionState = {
    session,
    canEdit: canEdit(session.role),
    canControlRuns: canControlRuns(session.role),
    canGovern: canGovern(session.role),
    canSendEvents: canSendEvents(session.role),
    signOut: () => end.mutate(),
  };
  return <SessionContext.Provider value={state}>{children}</SessionContext.Provider>;
}
