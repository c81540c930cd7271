// Stored secrets by name: values masked (the API never sends one back, and this page shows
// the mask whatever it gets), created and rotated times, rotate, delete, add.
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useDeleteSecret, usePutSecret, useRotateSecret, useSecrets, type SecretRead } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { when } from "../../components/time";
import { MASK } from "./mask";
import { TableScroll } from "../../components/TableScroll";

export function SecretsPanel() {
  const secrets = useSecrets();
  return (
    <section aria-label="Secrets">
      <p className="muted">Workflows refer to a secret as <code>{'{"$secret": "NAME"}'}</code>. A value goes in and never comes out.</p>
      <ErrorNotice error={secrets.error} />
      {secrets.data && secrets.data.length === 0 && <p>No secrets stored.</p>}
      {secrets.data && secrets.data.length > 0 && (
        <TableScroll>
          <table className="workflows">
            <thead><tr><th>Name</th><th>Value</th><th>Created</th><th>Rotated</th><th><span className="sr-only">Commands</span></th></tr></thead>
            <tbody>{secrets.data.map((secret) => <SecretRow key={secret.name} secret={secret} />)}</tbody>
          </table>
        </TableScroll>
      )}
      <AddSecret />
    </section>
  );
}

function SecretRow({ secret }: { secret: SecretRead }) {
  const [rotating, setRotating] = useState(false);
  const [value, setValue] = useState("");
  const [confirming, setConfirming] = useState(false);
  const rotate = useRotateSecret();
  const remove = useDeleteSecret();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    rotate.mutate({ name: secret.name, value }, { onSuccess: () => { setRotating(false); setValue(""); } });
  };
  return (
    <tr data-secret={secret.name}>
      <td><code>{secret.name}</code>{secret.shadowed_by_env && <div className="muted">the environment's AUTOMATOR_SECRET_{secret.name} is used instead</div>}</td>
      <td><code className="masked">{MASK}</code></td>
      <td>{when(secret.created_at)}</td>
      <td>{secret.rotated_at ? when(secret.rotated_at) : <span className="muted">never</span>}</td>
      <td>
        {rotating ? (
          <form className="inline" onSubmit={submit}>
            <label className="sr-only" htmlFor={`rotate-${secret.name}`}>New value of {secret.name}</label>
            <input id={`rotate-${secret.name}`} type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} placeholder="new value" />
            <button type="submit" className="primary" disabled={!value || rotate.isPending}>Save new value</button>
            <button type="button" onClick={() => { setRotating(false); setValue(""); }}>Cancel</button>
          </form>
        ) : (
          <div className="commands">
            <button type="button" onClick={() => setRotating(true)}>Rotate</button>
            {confirming ? (
              <>
                <button type="button" className="danger" onClick={() => remove.mutate(secret.name)}>Delete {secret.name} for good</button>
                <button type="button" onClick={() => setConfirming(false)}>Keep</button>
              </>
            ) : (
              <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete</button>
            )}
          </div>
        )}
        {rotate.isSuccess && !rotating && <span className="muted" role="status">Rotated.</span>}
        <ErrorNotice error={rotate.error ?? remove.error} />
      </td>
    </tr>
  );
}

function AddSecret() {
  // ?name=NAME: a link from a workflow or run that names a secret not stored yet.
  const wanted = useSearchParams()[0].get("name") ?? "";
  const [name, setName] = useState(wanted);
  const [value, setValue] = useState("");
  const put = usePutSecret();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    put.mutate({ name: name.trim(), value }, { onSuccess: () => { setName(""); setValue(""); } });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Store a secret">
      <label>Name<input value={name} onChange={(e) => setName(e.target.value.toUpperCase())} placeholder="SENDGRID_API_KEY" /></label>
      <label>Value<input type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} /></label>
      <button type="submit" disabled={!name.trim() || !value || put.isPending}>Store secret</button>
      <ErrorNotice error={put.error} />
    </form>
  );
}
