// The frame of every signed-in page: navigation, who is signed in, sign-out.
import { useState } from "react";
import { NavLink, Outlet } from "react-router";
import { useSession } from "./SessionContext";
import { UnsavedReporter } from "./UnsavedChanges";
import { UnsavedQuestion } from "./UnsavedQuestion";

const LINKS = [
  { to: "/", label: "Workflows", end: true },
  { to: "/runs", label: "Runs", end: false },
  { to: "/events", label: "Events", end: false },
  { to: "/outbox", label: "Outbox", end: false },
  { to: "/dashboard", label: "Dashboard", end: false },
  { to: "/governance", label: "Governance", end: false },
];

export function AppShell() {
  const { session, canEdit, signOut } = useSession();
  // The workflow whose editor changes are not saved (null: none), and whether Sign out asks.
  const [unsaved, setUnsaved] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);
  if (asking && unsaved === null) setAsking(false); // saved meanwhile: nothing left to ask about
  return (
    <div className="shell">
      <header className="shell-header">
        <span className="brand">Automator Studio</span>
        <nav aria-label="Main">
          {LINKS.map((link) => (
            <NavLink key={link.to} to={link.to} end={link.end}>
              {link.label}
            </NavLink>
          ))}
          {canEdit && <NavLink to="/wizard">New workflow</NavLink>}
        </nav>
        <span className="who" title={`key ${session.key_id}`}>
          {session.name ?? session.key_id} · {session.tenant_id} · <em>{session.role}</em>
        </span>
        <button type="button" onClick={() => (unsaved === null ? signOut() : setAsking(true))}>
          Sign out
        </button>
      </header>
      <main className="shell-main">
        {asking && unsaved !== null && (
          <UnsavedQuestion name={unsaved} question="Sign out and lose them?" goOn="Sign out without saving"
            onStay={() => setAsking(false)} onGoOn={signOut} />
        )}
        <UnsavedReporter.Provider value={setUnsaved}>
          <Outlet />
        </UnsavedReporter.Provider>
      </main>
    </div>
  );
}
