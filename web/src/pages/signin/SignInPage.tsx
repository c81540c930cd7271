// Sign-in with an API key: sent once to POST /api/session, never stored by the page.
import { useId, useState, type FormEvent } from "react";
import { useSignIn } from "../../components/SessionContext";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";

export function SignInPage() {
  const [apiKey, setApiKey] = useState("");
  const signIn = useSignIn();
  const reasonId = useId();
  const keyless = !apiKey.trim();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (keyless) return;
    signIn.mutate(apiKey.trim(), { onSuccess: () => setApiKey("") });
  };
  return (
    <main className="signin">
      <h1>Automator Studio</h1>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
          placeholder="atm_…"
          required
        />
        {/* Greyed, not disabled (the focus stays), and a greyed submit still submits: checked above. */}
        <GreyableButton type="submit" disabled={signIn.isPending} greyedBy={keyless ? reasonId : undefined}>
          Sign in
        </GreyableButton>
        {keyless && <p className="muted" id={reasonId}>To sign in, paste your API key.</p>}
        <ErrorNotice error={signIn.error} />
      </form>
      <p className="hint">
        <code>make run</code> prints a key on first start; an admin can create more under
        Governance. Lost it? <code>.venv/bin/automator create-api-key --tenant default --role admin</code>{" "}
        makes another.
      </p>
    </main>
  );
}
