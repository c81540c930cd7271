// Secrets, API keys, the audit log, message templates, tenant settings, limits, retention,
// quota, alerts and inbound hooks: the Governance page's queries and commands, on the one
// react-query cache.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "./client";
import type { components } from "./schema";

type Schemas = components["schemas"];
export type SecretRead = Schemas["SecretRead"];
export type KeyRead = Schemas["KeyRead"];
export type KeyCreated = Schemas["KeyCreated"];
export type KeyRevoked = Schemas["KeyRevoked"];
export type KeyCreate = Schemas["KeyCreate"];
export type AuditRead = Schemas["AuditRead"];
export type AuditList = Schemas["AuditList"];
export type TemplateRead = Schemas["TemplateRead"];
export type PreviewRead = Schemas["PreviewRead"];
export type TenantLimits = Schemas["TenantLimits"];
export type QuotaRead = Schemas["QuotaRead"];
export type AlertRules = Schemas["AlertRules"];
export type AlertRule = AlertRules["rules"][number];
export type Role = Schemas["Role"];
export type TenantSettings = Schemas["TenantSettings"];
export type RetentionRead = Schemas["RetentionRead"];
export type HookIn = Schemas["HookIn"];
export type HookRead = Schemas["HookRead"];
export type HookScheme = Schemas["HookScheme"];

export interface AuditFilter {
  entity_type?: string;
  entity_id?: string;
  actor?: string;
  since?: string;
}

export interface TemplateParts {
  subject: string | null;
  text: string | null;
  html: string | null;
}

const keys = {
  secrets: ["secrets"] as const,
  apiKeys: ["api-keys"] as const,
  audit: (filter: AuditFilter, after: string | undefined) => ["audit", filter, after ?? ""] as const,
  templates: ["templates"] as const,
  limits: ["tenant", "limits"] as const,
  quota: ["tenant", "quota"] as const,
  alerts: ["tenant", "alerts"] as const,
  settings: ["tenant", "settings"] as const,
  retention: ["tenant", "retention"] as const,
  hooks: ["hooks"] as const,
};
const segment = encodeURIComponent;

/** A command whose success refreshes the queries under `key`. */
function useCommand<In, Out>(key: readonly unknown[], run: (input: In) => Promise<Out>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: run, onSuccess: () => client.invalidateQueries({ queryKey: key }) });
}

export function useSecrets() {
  return useQuery({ queryKey: keys.secrets, queryFn: ({ signal }) => api<SecretRead[]>("GET", "/api/secrets", { signal }) });
}

export function usePutSecret() {
  return useCommand(keys.secrets, ({ name, value }: { name: string; value: string }) =>
    api<SecretRead>("PUT", `/api/secrets/${segment(name)}`, { body: { value } }));
}

export function useRotateSecret() {
  return useCommand(keys.secrets, ({ name, value }: { name: string; value: string }) =>
    api<SecretRead>("POST", `/api/secrets/${segment(name)}/rotate`, { body: { value } }));
}

export function useDeleteSecret() {
  return useCommand(keys.secrets, (name: string) => api<void>("DELETE", `/api/secrets/${segment(name)}`));
}

export function useApiKeys() {
  return useQuery({ queryKey: keys.apiKeys, queryFn: ({ signal }) => api<KeyRead[]>("GET", "/api/keys", { signal }) });
}

export function useCreateKey() {
  return useCommand(keys.apiKeys, (body: KeyCreate) => api<KeyCreated>("POST", "/api/keys", { body }));
}

export function useRevokeKey() {
  return useCommand(keys.apiKeys, (keyId: string) => api<KeyRevoked>("DELETE", `/api/keys/${segment(keyId)}`));
}

export function useAudit(filter: AuditFilter, after: string | undefined) {
  return useQuery({
    queryKey: keys.audit(filter, after),
    queryFn: ({ signal }) => api<AuditList>("GET", "/api/audit", { query: { ...filter, after, limit: 50 }, signal }),
    placeholderData: (previous) => previous,
  });
}

export function useTemplates() {
  return useQuery({
    queryKey: keys.templates,
    queryFn: ({ signal }) => api<Schemas["TemplateList"]>("GET", "/api/templates", { query: { limit: 500 }, signal }),
  });
}

export function useSaveTemplate() {
  return useCommand(keys.templates, ({ name, parts, isNew }: { name: string; parts: TemplateParts; isNew: boolean }) =>
    isNew
      ? api<TemplateRead>("POST", "/api/templates", { body: { name, ...parts } })
      : api<TemplateRead>("PUT", `/api/templates/${segment(name)}`, { body: parts }));
}

export function useDeleteTemplate() {
  return useCommand(keys.templates, (name: string) => api<void>("DELETE", `/api/templates/${segment(name)}`));
}

/** The parts rendered over sample data by the API, as a step would render them. */
export function usePreview(parts: TemplateParts, data: Record<string, unknown> | null) {
  return useQuery({
    queryKey: ["templates", "preview", parts, data],
    queryFn: ({ signal }) => api<PreviewRead>("POST", "/api/templates/preview", { body: { ...parts, data }, signal }),
    enabled: data !== null && Boolean(parts.text?.trim() || parts.html?.trim()),
    retry: false,
    placeholderData: (previous) => previous,
  });
}

export function useLimits() {
  return useQuery({ queryKey: keys.limits, queryFn: ({ signal }) => api<TenantLimits>("GET", "/api/tenant/limits", { signal }) });
}

export function usePutLimits() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (limits: unknown) => api<TenantLimits>("PUT", "/api/tenant/limits", { body: limits }),
    onSuccess: () => client.invalidateQueries({ queryKey: ["tenant"] }),
  });
}

export function useQuota() {
  return useQuery({ queryKey: keys.quota, queryFn: ({ signal }) => api<QuotaRead>("GET", "/api/quota", { signal }), refetchInterval: 30_000 });
}

export function useAlerts() {
  return useQuery({ queryKey: keys.alerts, queryFn: ({ signal }) => api<AlertRules>("GET", "/api/tenant/alerts", { signal }) });
}

export function usePutAlerts() {
  return useCommand(keys.alerts, (rules: unknown) => api<AlertRules>("PUT", "/api/tenant/alerts", { body: rules }));
}

export function useDeleteAlerts() {
  return useCommand(keys.alerts, () => api<void>("DELETE", "/api/tenant/alerts"));
}

export function useHooks() {
  return useQuery({
    queryKey: keys.hooks,
    queryFn: ({ signal }) => api<Schemas["HookList"]>("GET", "/api/hooks", { query: { limit: 500 }, signal }),
  });
}

export function useCreateHook() {
  return useCommand(keys.hooks, (body: HookIn) => api<HookRead>("POST", "/api/hooks", { body }));
}

export function useDeleteHook() {
  return useCommand(keys.hooks, (hookId: string) => api<void>("DELETE", `/api/hooks/${segment(hookId)}`));
}

export function useTenantSettings() {
  return useQuery({ queryKey: keys.settings, queryFn: ({ signal }) => api<TenantSettings>("GET", "/api/tenant/settings", { signal }) });
}

export function usePutTenantSettings() {
  const client = useQueryClient();
  // The answer is the settings now: written into the cache at once, so the box never shows
  // the old value again between the answer and a refetch.
  return useMutation({
    mutationFn: (settings: TenantSettings) => api<TenantSettings>("PUT", "/api/tenant/settings", { body: settings }),
    onSuccess: (settings) => client.setQueryData(keys.settings, settings),
  });
}

export function useRetention() {
  return useQuery({ queryKey: keys.retention, queryFn: ({ signal }) => api<RetentionRead>("GET", "/api/tenant/retention", { signal }) });
}

export function usePutRetention() {
  return useCommand(keys.retention, (retention: RetentionRead) => api<RetentionRead>("PUT", "/api/tenant/retention", { body: retention }));
}
