// Governance: secrets, API keys, the audit log and inbound hooks (admins only), message templates, the
// tenant's limits and quota, its failure alerts, its AI providers and its settings (everyone
// opens them; editors edit templates, admins limits, alerts, AI and settings).
import { Navigate, NavLink, Route, Routes } from "react-router";
import { BackLink } from "../../components/FixLink";
import { useSession } from "../../components/SessionContext";
import { AiPanel } from "./AiPanel";
import { AlertsPanel } from "./AlertsPanel";
import { AuditPanel } from "./AuditPanel";
import { HooksPanel } from "./HooksPanel";
import { KeysPanel } from "./KeysPanel";
import { LimitsPanel } from "./LimitsPanel";
import { SecretsPanel } from "./SecretsPanel";
import { SettingsPanel } from "./SettingsPanel";
import { TemplatesPanel } from "./TemplatesPanel";

interface Tab { path: string; label: string; adminOnly: boolean }

export const TABS: readonly Tab[] = [
  { path: "secrets", label: "Secrets", adminOnly: true },
  { path: "keys", label: "API keys", adminOnly: true },
  { path: "audit", label: "Audit log", adminOnly: true },
  { path: "templates", label: "Message templates", adminOnly: false },
  { path: "limits", label: "Limits & quota", adminOnly: false },
  { path: "alerts", label: "Alerts", adminOnly: false },
  { path: "hooks", label: "Hooks", adminOnly: true },
  { path: "ai", label: "AI", adminOnly: false },
  { path: "settings", label: "Settings", adminOnly: false },
];

/** The tabs a role may open: a lower role never sees the admin-only ones. */
export function tabsFor(isAdmin: boolean): readonly Tab[] {
  return TABS.filter((tab) => isAdmin || !tab.adminOnly);
}

export function GovernancePage() {
  const { canGovern, canEdit } = useSession();
  const tabs = tabsFor(canGovern);
  const allowed = (path: string) => tabs.some((tab) => tab.path === path);
  return (
    <section>
      <BackLink />
      <h1>Governance</h1>
      <nav className="tabs" aria-label="Governance">
        {tabs.map((tab) => <NavLink key={tab.path} to={`/governance/${tab.path}`}>{tab.label}</NavLink>)}
      </nav>
      <Routes>
        <Route index element={<Navigate to={tabs[0]!.path} replace />} />
        {allowed("secrets") && <Route path="secrets" element={<SecretsPanel />} />}
        {allowed("keys") && <Route path="keys" element={<KeysPanel />} />}
        {allowed("audit") && <Route path="audit" element={<AuditPanel />} />}
        <Route path="templates" element={<TemplatesPanel canEdit={canEdit} />} />
        <Route path="limits" element={<LimitsPanel canConfigure={canGovern} />} />
        <Route path="alerts" element={<AlertsPanel canConfigure={canGovern} />} />
        {allowed("hooks") && <Route path="hooks" element={<HooksPanel />} />}
        <Route path="ai" element={<AiPanel canConfigure={canGovern} />} />
        <Route path="settings" element={<SettingsPanel canConfigure={canGovern} />} />
        <Route path="*" element={<p>This part of Governance is for admins.</p>} />
      </Routes>
    </section>
  );
}
