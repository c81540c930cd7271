import { describe, expect, it } from "vitest";
import type { AiProviderRead, AiProvidersRead } from "../../api/ai";
import { aiConfig, aiDraft, dropped, keyShown } from "./ai";

const PROVIDER: AiProviderRead = {
  provider: "openai", name: null, base_url: "http://127.0.0.1:8080/v1", model: "local", key: "secret", key_secret: "AI_KEY", settings: [],
};
const tenant = (...providers: AiProviderRead[]): AiProvidersRead => ({ source: "tenant", providers, problem: null });

describe("the AI form", () => {
  it("starts from the tenant's first provider, and blank on the deployment's", () => {
    expect(aiDraft(tenant(PROVIDER))).toEqual({ provider: "openai", baseUrl: "http://127.0.0.1:8080/v1", model: "local", secret: "AI_KEY" });
    expect(aiDraft({ source: "deployment", providers: [PROVIDER], problem: null }).baseUrl).toBe("");
  });

  it("saves one provider with its key as a secret reference", () => {
    const { config } = aiConfig({ provider: "openai", baseUrl: " https://api.openai.com/v1 ", model: "gpt-4o-mini", secret: "OPENAI_KEY" });
    expect(config).toEqual({ providers: [{ provider: "openai", model: "gpt-4o-mini", base_url: "https://api.openai.com/v1", api_key: { $secret: "OPENAI_KEY" } }] });
  });

  it("lets Anthropic keep its own address and a local server go without a key", () => {
    expect(aiConfig({ provider: "anthropic", baseUrl: "", model: "claude-3-5-haiku-latest", secret: "" }).config)
      .toEqual({ providers: [{ provider: "anthropic", model: "claude-3-5-haiku-latest" }] });
  });

  it("says all that is left to fill in before sending", () => {
    expect(aiConfig({ provider: "openai", baseUrl: "", model: " ", secret: "" }).unsavable).toBe(
      "To save or test the provider, give the base URL, where the OpenAI-compatible server answers, up to /v1 (https://api.openai.com/v1), and name the model, the one used when a step or the copilot names none.",
    );
    expect(aiConfig({ provider: "openai", baseUrl: "api.openai.com", model: "m", secret: "" }).unsavable).toBe("To save or test the provider, make the base URL an http:// or https:// address.");
    expect(aiConfig({ provider: "anthropic", baseUrl: "", model: "m", secret: "" }).unsavable).toBeNull();
  });

  it("warns of what saving drops of a configuration written through the API", () => {
    expect(dropped(tenant(PROVIDER))).toBeNull();
    const backup = { ...PROVIDER, provider: "anthropic", name: "claude" };
    const tuned = { ...PROVIDER, settings: ["models", "timeout"], key: "value" as const, key_secret: null };
    expect(dropped(tenant(tuned, backup))).toBe(
      "Saving replaces the configuration with this one provider: it drops the failover to claude; the first provider's models, timeout; " +
      "its key written in the configuration (keep it in a secret instead).",
    );
  });

  it("shows how a key is given, never a value", () => {
    expect(keyShown(PROVIDER)).toBe("secret AI_KEY");
    expect(keyShown({ ...PROVIDER, key: "value", key_secret: null })).toBe("set (in the configuration)");
    expect(keyShown({ ...PROVIDER, key: "none", key_secret: null })).toBe("none");
  });
});
