// Governance → AI: the language model the tenant's ai_task steps and the copilot use. Admins
// see the providers in use (the tenant's own, else the deployment's AUTOMATOR_AI_* settings;
// a key only as "set" or a secret's name), replace them with one provider, go back to the
// deployment's, and test with one real call the providers in use or the form's provider, saved
// or not; the API refuses the configuration to other roles, who see whether the copilot can
// draft.
import { useId, useState, type FormEvent } from "react";
import { NavLink } from "react-router";
import { useAiProviders, useDeleteAi, usePutAi, useTestAi, type AiProvidersRead, type IntegrationTestResult } from "../../api/ai";
import { useCopilotStatus } from "../../api/copilot";
import { useSecrets } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { aiConfig, aiDraft, dropped, keyShown, type AiDraft, type ProviderKind } from "./ai";
import { TableScroll } from "../../components/TableScroll";

const SOURCES: Record<AiProvidersRead["source"], string> = {
  tenant: "This tenant's own configuration.",
  deployment: "The deployment's (its AUTOMATOR_AI_* settings): this tenant has no configuration of its own.",
  none: "None: neither this tenant nor the deployment configures a model.",
};

export function AiPanel({ canConfigure }: { canConfigure: boolean }) {
  return (
    <section aria-label="AI">
      <p className="muted">The language model that <code>ai_task</code> steps and the copilot (New workflow → Describe your workflow) ask.</p>
      <CopilotReadiness />
      {canConfigure ? <Providers /> : <p>Only admins see and change the AI providers.</p>}
    </section>
  );
}

function CopilotReadiness() {
  const status = useCopilotStatus();
  if (!status.data) return <ErrorNotice error={status.error} />;
  return (
    <p role="status" aria-label="Copilot">
      {status.data.ready ? "The copilot can draft workflows." : `The copilot cannot draft: ${status.data.reason ?? "no model"}.`}
    </p>
  );
}

function Providers() {
  const providers = useAiProviders(true);
  // Held here, not in the form: a save refetches what is in use, the form starts again from
  // it, and its "Saved." must outlive that.
  const save = usePutAi();
  const remove = useDeleteAi();
  const current = providers.data;
  if (!current) return <ErrorNotice error={providers.error} />;
  return (
    <>
      <h2>In use</h2>
      <p>{SOURCES[current.source]}</p>
      {current.providers.length > 0 && (
        <TableScroll label="AI providers in use">
          <table className="workflows" aria-label="AI providers in use">
            <thead><tr><th>Provider</th><th>Base URL</th><th>Model</th><th>Key</th><th>Other settings</th></tr></thead>
            <tbody>
              {current.providers.map((provider, index) => (
                <tr key={index}>
                  <td>{provider.name ?? provider.provider}{provider.name && <span className="muted"> ({provider.provider})</span>}</td>
                  <td><code>{provider.base_url ?? "none"}</code></td>
                  <td>{provider.model ?? <span className="muted">none</span>}</td>
                  <td>{keyShown(provider)}</td>
                  <td>{provider.settings.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {current.problem && <p className="error-inline" role="alert">{current.problem}</p>}
      <TestCall label="Test the providers in use" />
      {/* Keyed by what is in use: a save starts the form again from what was saved. */}
      <ProviderForm key={JSON.stringify(current)} current={current} save={save} remove={remove} />
    </>
  );
}

/** One test call and what it found: of `config` (a form's, not saved yet) when given, else of the
 * providers in use; `greyedBy` greys the button (the form is not complete yet). */
function TestCall({ label, config, greyedBy }: { label: string; config?: Record<string, unknown> | null; greyedBy?: string | undefined }) {
  const test = useTestAi();
  return (
    <div className="toolbar">
      <GreyableButton disabled={test.isPending} greyedBy={greyedBy} onClick={() => test.mutate(config ?? undefined)}>
        {test.isPending ? "Testing…" : label}
      </GreyableButton>
      {test.data && <TestOutcome result={test.data} />}
      <ErrorNotice error={test.error} />
    </div>
  );
}

function TestOutcome({ result }: { result: IntegrationTestResult }) {
  if (!result.ok) return <p className="error-inline" role="status">The test call failed: {result.error?.message}</p>;
  const output = (result.output ?? {}) as { text?: string; usage?: { provider?: string; model?: string } };
  return (
    <p role="status">
      {output.usage?.provider} ({output.usage?.model}) answered in {Math.round(result.duration_ms)} ms: <q>{output.text}</q>
    </p>
  );
}

function ProviderForm({ current, save, remove }: {
  current: AiProvidersRead;
  save: ReturnType<typeof usePutAi>;
  remove: ReturnType<typeof useDeleteAi>;
}) {
  const [draft, setDraft] = useState<AiDraft>(() => aiDraft(current));
  const secrets = useSecrets();
  const { config, unsavable } = aiConfig(draft);
  const reasonId = useId();
  const warning = dropped(current);
  const set = (part: Partial<AiDraft>) => setDraft((before) => ({ ...before, ...part }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (config) save.mutate(config);
  };
  return (
    <form className="limits-editor" onSubmit={submit} aria-label="This tenant's AI provider">
      <h2>This tenant's provider</h2>
      <p className="muted">Replaces the deployment's for this tenant's calls (nothing is merged). The key is kept in a secret, never in the configuration.</p>
      <div className="filters">
        <label>Provider
          <select value={draft.provider} onChange={(e) => set({ provider: e.target.value as ProviderKind })}>
            <option value="openai">OpenAI-compatible (OpenAI, Ollama, vLLM, llama.cpp)</option>
            <option value="anthropic">Anthropic</option>
          </select>
        </label>
        <label>Base URL
          <input value={draft.baseUrl} onChange={(e) => set({ baseUrl: e.target.value })}
            placeholder={draft.provider === "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1"} />
        </label>
        <label>Model<input value={draft.model} onChange={(e) => set({ model: e.target.value })} placeholder="gpt-4o-mini" /></label>
        <label>API key
          <select value={draft.secret} onChange={(e) => set({ secret: e.target.value })}>
            <option value="">no key (a local server)</option>
            {secrets.data?.map((secret) => <option key={secret.name} value={secret.name}>secret {secret.name}</option>)}
          </select>
        </label>
      </div>
      <p className="muted">
        The key comes from one of the tenant's secrets: <NavLink to="/governance/secrets?name=AI_API_KEY">add one under Secrets</NavLink>.
        Calls to a local or private address need the deployment's AUTOMATOR_HTTP_ALLOWED_HOSTS.
      </p>
      {warning && <p className="muted" role="note">{warning}</p>}
      <div className="toolbar">
        {/* Greyed, not disabled (the focus stays), and a greyed submit still submits: checked above. */}
        <GreyableButton type="submit" className="primary" disabled={save.isPending} greyedBy={unsavable ? reasonId : undefined}>Save AI provider</GreyableButton>
        {current.source === "tenant" && (
          <button type="button" disabled={remove.isPending} onClick={() => remove.mutate(undefined, { onSuccess: () => save.reset() })}>
            Remove this tenant's provider
          </button>
        )}
        {save.isSuccess && <span className="muted" role="status">Saved.</span>}
      </div>
      {/* What the form holds, saved or not: the call goes where the form points. */}
      <TestCall label="Test this provider" config={config} greyedBy={unsavable ? reasonId : undefined} />
      {unsavable && <p className="muted" id={reasonId}>{unsavable}</p>}
      <ErrorNotice error={save.error ?? remove.error} />
    </form>
  );
}
