// The tenant's API keys: prefixes only; a new key is shown once, here, and never again.
import { useState, type FormEvent } from "react";
import { useApiKeys, useCreateKey, useRevokeKey, type KeyCreated, type KeyRead, type Role } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { useSession } from "../../components/SessionContext";
import { when } from "../../components/time";

const ROLES: readonly Role[] = ["admin", "editor", "viewer", "ingest"];

export function KeysPanel() {
  const keys = useApiKeys();
  const [created, setCreated] = useState<KeyCreated | null>(null);
  return (
    <section aria-label="API keys">
      <ErrorNotice error={keys.error} />
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      {keys.data && (
        <table className="workflows">
          <thead><tr><th>Key</th><th>Name</th><th>Role</th><th>Created</th><th>Revoked</th><th><span className="sr-only">Commands</span></th></tr></thead>
          <tbody>{keys.data.map((key) => <KeyRow key={key.key_id} apiKey={key} />)}</tbody>
        </table>
      )}
      <CreateKey onCreated={setCreated} />
    </section>
  );
}

function KeyRow({ apiKey }: { apiKey: KeyRead }) {
  const revoke = useRevokeKey();
  const { session } = useSession();
  const own = apiKey.key_id === session.key_id;
  return (
    <tr data-key={apiKey.key_id}>
      <td><code>{apiKey.prefix}…</code> <span className="muted">{apiKey.key_id}</span></td>
      <td>{apiKey.name || <span className="muted">–</span>}</td>
      <td>{apiKey.role}</td>
      <td>{when(apiKey.created_at)}</td>
      <td>{apiKey.revoked_at ? when(apiKey.revoked_at) : <span className="muted">active</span>}</td>
      <td>
        {!apiKey.revoked_at && (
          <button type="button" className="danger" disabled={revoke.isPending} title={own ? "This is the key you signed in with: revoking it signs you out." : undefined} onClick={() => revoke.mutate(apiKey.key_id)}>
            Revoke{own ? " (yours)" : ""}
          </button>
        )}
        <ErrorNotice error={revoke.error} />
      </td>
    </tr>
  );
}

function CreateKey({ onCreated }: { onCreated: (key: KeyCreated) => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const create = useCreateKey();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), role }, { onSuccess: (key) => { onCreated(key); setName(""); } });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Create an API key">
      <label>Name<input value={name} onChange={(e) => setName(e.target.value)} placeholder="what it is for" /></label>
      <label>Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((one) => <option key={one} value={one}>{one}</option>)}
        </select>
      </label>
      <button type="submit" disabled={create.isPending}>Create key</button>
      <ErrorNotice error={create.error} />
    </form>
  );
}

function NewKey({ created, onDone }: { created: KeyCreated; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="new-key" role="status">
      <p><strong>The new {created.role} key{created.name ? ` “${created.name}”` : ""}.</strong> Copy it now: it is shown this once and never again.</p>
      <code className="key-text" aria-label="New API key">{created.key}</code>
      <div className="toolbar">
        <button type="button" onClick={() => navigator.clipboard?.writeText(created.key).then(() => setCopied(true))}>{copied ? "Copied" : "Copy"}</button>
        <button type="button" className="primary" onClick={onDone}>I have kept it</button>
      </div>
    </div>
  );
}
