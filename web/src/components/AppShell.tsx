// The frame of every signed-in page: navigation, who is signed in, sign-out.
import { NavLink, Outlet } from "react-router";
import { useSession } from "./SessionContext";

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
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main className="shell-main">
        <Outlet />
      </main>
    </div>
  );
}
