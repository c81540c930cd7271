// The AI page's form: one provider as a person fills it in, the configuration it saves, and
// what saving would drop of a configuration written through the API (more providers, fields
// the form does not show).
import type { AiProviderRead, AiProvidersRead } from "../../api/ai";
import { greyedReason } from "../../components/greyedReason";

export type ProviderKind = "openai" | "anthropic";

export interface AiDraft {
  provider: ProviderKind;
  baseUrl: string;
  model: string;
  /** The name of the secret holding the key; empty: no key (a local server). */
  secret: string;
}

const URL_START = /^https?:\/\/\S+$/;

/** The form, filled from the tenant's own first provider; blank when it has none. */
export function aiDraft(current: AiProvidersRead): AiDraft {
  const first = current.source === "tenant" ? current.providers[0] : undefined;
  if (!first) return { provider: "openai", baseUrl: "", model: "", secret: "" };
  return {
    provider: first.provider === "anthropic" ? "anthropic" : "openai",
    baseUrl: first.base_url ?? "",
    model: first.model ?? "",
    secret: first.key_secret ?? "",
  };
}

/** The `config` of `PUT /api/integrations/ai` the form asks for (and a test call tries before
 * it is saved), or why Save and Test are greyed: all that is left to do. */
export function aiConfig(draft: AiDraft): { config: Record<string, unknown> | null; unsavable: string | null } {
  const baseUrl = draft.baseUrl.trim();
  const model = draft.model.trim();
  const unsavable = greyedReason("save or test the provider", [
    draft.provider === "openai" && !baseUrl && "give the base URL, where the OpenAI-compatible server answers, up to /v1 (https://api.openai.com/v1)",
    baseUrl && !URL_START.test(baseUrl) && "make the base URL an http:// or https:// address",
    !model && "name the model, the one used when a step or the copilot names none",
  ]);
  if (unsavable) return { config: null, unsavable };
  const provider: Record<string, unknown> = { provider: draft.provider, model };
  if (baseUrl) provider["base_url"] = baseUrl;
  if (draft.secret) provider["api_key"] = { $secret: draft.secret };
  return { config: { providers: [provider] }, unsavable: null };
}

/** What saving the form would drop of the tenant's own configuration, in words; null: nothing. */
export function dropped(current: AiProvidersRead): string | null {
  if (current.source !== "tenant") return null;
  const [first, ...others] = current.providers;
  const lost: string[] = [];
  if (others.length) lost.push(`the failover to ${others.map(label).join(", ")}`);
  if (first?.settings.length) lost.push(`the first provider's ${first.settings.join(", ")}`);
  if (first?.key === "value") lost.push("its key written in the configuration (keep it in a secret instead)");
  return lost.length ? `Saving replaces the configuration with this one provider: it drops ${lost.join("; ")}.` : null;
}

/** How a provider's key is given, never the key itself. */
export function keyShown(provider: AiProviderRead): string {
  if (provider.key === "secret") return `secret ${provider.key_secret ?? ""}`;
  return provider.key === "value" ? "set (in the configuration)" : "none";
}

function label(provider: AiProviderRead): string {
  return provider.name ?? provider.provider;
}
