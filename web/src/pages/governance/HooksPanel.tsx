// Inbound webhooks: each hook with the URL its sender posts to, how deliveries are checked
// (a scheme and a signing secret from the tenant's secrets) and mapped to an event; add one,
// delete one (admins only: a `token` hook's URL is its credential).
import { useId, useState, type FormEvent } from "react";
import { useCreateHook, useDeleteHook, useHooks, useSecrets, type HookIn, type HookRead, type HookScheme } from "../../api/governance";
import { ErrorNotice } from "../../components/ErrorNotice";
import { GreyableButton } from "../../components/GreyableButton";
import { greyedReason } from "../../components/greyedReason";
import { when } from "../../components/time";
import { parseJsonObject } from "./json";
import { TableScroll } from "../../components/TableScroll";

const SCHEMES: readonly { scheme: HookScheme; label: string }[] = [
  { scheme: "stripe", label: "Stripe (Stripe-Signature)" },
  { scheme: "github", label: "GitHub (X-Hub-Signature-256)" },
  { scheme: "shopify", label: "Shopify (X-Shopify-Hmac-Sha256)" },
  { scheme: "standard_webhooks", label: "Standard Webhooks (webhook-signature)" },
  { scheme: "token", label: "Token: the URL is the credential" },
];

// Seconds a signed timestamp may be off now: the API's default, which the form keeps.
const TOLERANCE = 300;

export interface HookDraft {
  name: string;
  eventType: string;
  scheme: HookScheme;
  secret: string;
  mapping: string;
}

/** The hook a filled-in form asks for, or why Add hook is greyed: all that is left to do. */
export function hookBody(draft: HookDraft): { body: HookIn | null; unaddable: string | null } {
  const signed = draft.scheme !== "token";
  const mapping = draft.mapping.trim() ? parseJsonObject(draft.mapping) : { value: {}, error: null };
  const unaddable = greyedReason("add the hook", [
    !draft.name.trim() && "name it",
    !draft.eventType.trim() && "give the event type its deliveries become",
    signed && !draft.secret && "pick the signing secret (the sender signs each delivery with it)",
    mapping.error && `correct the mapping's JSON. ${mapping.error}`,
  ]);
  if (unaddable) return { body: null, unaddable };
  return {
    body: {
      name: draft.name.trim(),
      event_type: draft.eventType.trim(),
      verify: { scheme: draft.scheme, secret: signed ? draft.secret : null, tolerance: TOLERANCE },
      mapping: mapping.value ?? {},
    },
    unaddable: null,
  };
}

/** The whole address to give the sender: the API answers a path on this service. */
export function senderUrl(hook: Pick<HookRead, "url">, origin: string): string {
  return new URL(hook.url, origin).toString();
}

export function HooksPanel() {
  const hooks = useHooks();
  return (
    <section aria-label="Inbound webhooks">
      <p className="muted">
        A third party (Stripe, GitHub, Shopify, any Standard Webhooks sender) posts its own JSON to a hook's URL, with no API key:
        each delivery is checked in the hook's scheme and becomes an event of its type.
      </p>
      <ErrorNotice error={hooks.error} />
      {hooks.data && hooks.data.items.length === 0 && <p>No hooks: nothing outside can send events without an API key.</p>}
      {hooks.data && hooks.data.items.length > 0 && (
        <TableScroll label="Hooks">
          <table className="workflows">
            <thead><tr><th>Name</th><th>Event type</th><th>Checked by</th><th>URL to give the sender</th><th>Created</th><th><span className="sr-only">Commands</span></th></tr></thead>
            <tbody>{hooks.data.items.map((hook) => <HookRow key={hook.hook_id} hook={hook} />)}</tbody>
          </table>
        </TableScroll>
      )}
      <CreateHook />
    </section>
  );
}

function HookRow({ hook }: { hook: HookRead }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useDeleteHook();
  const { scheme, secret } = hook.verify;
  return (
    <tr data-hook={hook.hook_id}>
      <td>{hook.name}</td>
      <td><code>{hook.event_type}</code></td>
      <td>{scheme}{secret && <> with <code>{secret}</code></>}</td>
      <td><code aria-label={`URL of ${hook.name}`}>{senderUrl(hook, window.location.origin)}</code></td>
      <td>{when(hook.created_at)}</td>
      <td>
        {confirming ? (
          <div className="commands">
            <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate(hook.hook_id)}>Delete {hook.name} for good</button>
            <button type="button" onClick={() => setConfirming(false)}>Keep</button>
          </div>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>Delete</button>
        )}
        <ErrorNotice error={remove.error} />
      </td>
    </tr>
  );
}

const EMPTY: HookDraft = { name: "", eventType: "", scheme: "stripe", secret: "", mapping: "" };

function CreateHook() {
  const [draft, setDraft] = useState<HookDraft>(EMPTY);
  const secrets = useSecrets();
  const create = useCreateHook();
  const { body, unaddable } = hookBody(draft);
  const reasonId = useId();
  const set = (part: Partial<HookDraft>) => setDraft((before) => ({ ...before, ...part }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (body) create.mutate(body, { onSuccess: () => setDraft(EMPTY) });
  };
  return (
    <form className="limits-editor" onSubmit={submit} aria-label="Add a hook">
      <h2>Add a hook</h2>
      <div className="filters">
        <label>Name<input value={draft.name} onChange={(e) => set({ name: e.target.value })} placeholder="Stripe payments" required /></label>
        <label>Event type<input value={draft.eventType} onChange={(e) => set({ eventType: e.target.value })} placeholder="payment_succeeded" required /></label>
        <label>Verification
          <select value={draft.scheme} onChange={(e) => set({ scheme: e.target.value as HookScheme })}>
            {SCHEMES.map((one) => <option key={one.scheme} value={one.scheme}>{one.label}</option>)}
          </select>
        </label>
        {draft.scheme !== "token" && (
          <label>Signing secret
            <select value={draft.secret} onChange={(e) => set({ secret: e.target.value })}>
              <option value="">{secrets.data?.length === 0 ? "no secrets stored: add one under Secrets" : "pick a secret"}</option>
              {secrets.data?.map((secret) => <option key={secret.name} value={secret.name}>{secret.name}</option>)}
            </select>
          </label>
        )}
      </div>
      <label htmlFor="hook-mapping">Mapping (JSON, optional)</label>
      <textarea id="hook-mapping" className="json" rows={5} value={draft.mapping} onChange={(e) => set({ mapping: e.target.value })} spellCheck={false}
        placeholder={'{"user": {"id": "{{ body.data.object.customer }}"}, "data": {"amount": "{{ body.data.object.amount }}"}}'} />
      <p className="muted">
        Templates over the delivery (<code>body</code>, <code>headers</code>) for the event's <code>type</code>, <code>user</code>, <code>data</code> (default: the body)
        and <code>delivery_id</code>; see docs/api.md.
      </p>
      <div className="toolbar">
        {/* Greyed, not disabled (the focus stays), and a greyed submit still submits: checked above. */}
        <GreyableButton type="submit" className="primary" disabled={create.isPending} greyedBy={unaddable ? reasonId : undefined}>Add hook</GreyableButton>
      </div>
      {unaddable && <p className="muted" id={reasonId}>{unaddable}</p>}
      <ErrorNotice error={create.error} />
    </form>
  );
}
