// The tenant's API keys: prefixes only, with the workflows or tags a key is limited to, when
// each was last used (to within a minute) and when it expires; a new key is shown once, here,
// and never again; a revocation that leaves only expiring admin keys is told above them.
import { useState, type FormEvent } from "react";
import { useApiKeys, useCreateKey, useRevokeKey, type KeyCreate, type KeyCreated, type KeyRead, type KeyRevoked, type Role } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { namesOf } from "../../workflow/names";
import { useSession } from "../../components/SessionContext";
import { localToIso, when } from "../../components/time";
import { TableScroll } from "../../components/TableScroll";

const ROLES: readonly Role[] = ["admin", "editor", "viewer", "ingest"];
// A key expiring within this many days is shown as expiring soon.
const SOON_DAYS = 7;

/** When a key expires, in words: "never", "expired <time>", "<time> (soon)" or "<time>". */
export function expiryText(expiresAt: string | null | undefined, now: Date): { text: string; soon: boolean } {
  if (!expiresAt) return { text: "never", soon: false };
  const left = new Date(expiresAt).getTime() - now.getTime();
  if (left <= 0) return { text: `expired ${when(expiresAt)}`, soon: true };
  if (left <= SOON_DAYS * 86_400_000) return { text: `${when(expiresAt)} (soon)`, soon: true };
  return { text: when(expiresAt), soon: false };
}

/** What a key reaches, in words. */
export function reachText(key: Pick<KeyRead, "workflows" | "tags">): string {
  const parts = [
    ...(key.workflows ? [`workflows ${key.workflows.join(", ")}`] : []),
    ...(key.tags ? [`workflows tagged ${key.tags.join(", ")}`] : []),
  ];
  return parts.length ? parts.join("; ") : "the whole tenant";
}

export function KeysPanel() {
  const keys = useApiKeys();
  const [created, setCreated] = useState<KeyCreated | null>(null);
  // The API's notice on the last revocation: every admin key left expires.
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <section aria-label="API keys">
      <ErrorNotice error={keys.error} />
      {created && <NewKey created={created} onDone={() => setCreated(null)} />}
      {notice && <p className="validation-warnings" role="status">{notice}</p>}
      {keys.data && (
        <TableScroll label="Issued API keys">
          <table className="workflows">
            <thead><tr><th>Key</th><th>Name</th><th>Role</th><th>Reaches</th><th>Created</th><th>Last used</th><th>Expires</th><th>Revoked</th><th><span className="sr-only">Commands</span></th></tr></thead>
            <tbody>{keys.data.map((key) => <KeyRow key={key.key_id} apiKey={key} onRevoked={(revoked) => setNotice(revoked.notice ?? null)} />)}</tbody>
          </table>
        </TableScroll>
      )}
      <CreateKey onCreated={setCreated} />
    </section>
  );
}

function KeyRow({ apiKey, onRevoked }: { apiKey: KeyRead; onRevoked: (revoked: KeyRevoked) => void }) {
  const revoke = useRevokeKey();
  const { session } = useSession();
  const own = apiKey.key_id === session.key_id;
  const expiry = expiryText(apiKey.expires_at, new Date());
  return (
    <tr data-key={apiKey.key_id}>
      <td><code>{apiKey.prefix}…</code> <span className="muted">{apiKey.key_id}</span></td>
      <td>{apiKey.name || <span className="muted">–</span>}</td>
      <td>{apiKey.role}</td>
      <td>{reachText(apiKey)}</td>
      <td>{when(apiKey.created_at)}</td>
      <td>{apiKey.last_used_at ? when(apiKey.last_used_at) : <span className="muted">never used</span>}</td>
      <td className={expiry.soon ? "error-inline" : undefined}>{apiKey.expires_at ? expiry.text : <span className="muted">never</span>}</td>
      <td>{apiKey.revoked_at ? when(apiKey.revoked_at) : <span className="muted">active</span>}</td>
      <td>
        {!apiKey.revoked_at && (
          <button type="button" className="danger" disabled={revoke.isPending} title={own ? "This is the key you signed in with: revoking it signs you out." : undefined} onClick={() => revoke.mutate(apiKey.key_id, { onSuccess: onRevoked })}>
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
  const [workflows, setWorkflows] = useState("");
  const [tags, setTags] = useState("");
  const [expires, setExpires] = useState("");
  const create = useCreateKey();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: KeyCreate = { name: name.trim(), role, workflows: namesOf(workflows), tags: namesOf(tags), expires_at: localToIso(expires) };
    create.mutate(body, { onSuccess: (key) => { onCreated(key); setName(""); setWorkflows(""); setTags(""); setExpires(""); } });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Create an API key">
      <label>Name<input value={name} onChange={(e) => setName(e.target.value)} placeholder="what it is for" /></label>
      <label>Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((one) => <option key={one} value={one}>{one}</option>)}
        </select>
      </label>
      <label>Only workflows<input value={workflows} onChange={(e) => setWorkflows(e.target.value)} placeholder="ids, comma-separated" /></label>
      <label>Only tags<input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="tags, comma-separated" /></label>
      <label>Expires<input type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} title="Leave empty for a key that works until revoked." /></label>
      <button type="submit" disabled={create.isPending}>Create key</button>
      <ErrorNotice error={create.error} />
    </form>
  );
}

function NewKey({ created, onDone }: { created: KeyCreated; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="new-key" role="status">
      <p><strong>The new {created.role} key{created.name ? ` “${created.name}”` : ""}, for {reachText(created)}.</strong> Copy it now: it is shown this once and never again.</p>
      <code className="key-text" aria-label="New API key">{created.key}</code>
      {created.expires_at && <p>It stops working at {when(created.expires_at)}.</p>}
      {created.notice && <p className="validation-warnings">{created.notice}</p>}
      <div className="toolbar">
        <button type="button" onClick={() => navigator.clipboard?.writeText(created.key).then(() => setCopied(true))}>{copied ? "Copied" : "Copy"}</button>
        <button type="button" className="primary" onClick={onDone}>I have kept it</button>
      </div>
    </div>
  );
}
