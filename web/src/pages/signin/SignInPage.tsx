// Sign-in with an API key: sent once to POST /api/session, never stored by the page.
import { useState, type FormEvent } from "react";
import { useSignIn } from "../../components/SessionContext";
import { ErrorNotice } from "../../components/ErrorNotice";

export function SignInPage() {
  const [apiKey, setApiKey] = useState("");
  const signIn = useSignIn();
  const submit = (event: FormEvent) => {
    event.preventDefault();
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
        <button type="submit" disabled={signIn.isPending || !apiKey.trim()}>
          Sign in
        </button>
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
