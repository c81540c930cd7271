// The audit log, newest first: filtered by entity, actor and time (kept in the address, so a
// run's page links to its own entries), paged by the API.
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useAudit, type AuditFilter } from "../../api/governance";
import { filterOf, paramsOf } from "../../components/addressFilter";
import { ErrorNotice } from "../../components/ErrorNotice";
import { Pager, usePages } from "../../components/Pager";
import { JsonText } from "../../components/JsonText";
import { localToIso, when } from "../../components/time";
import { TableScroll } from "../../components/TableScroll";

const NAMES = ["entity_type", "entity_id", "actor", "since"] as const;

export function auditFilterFrom(params: URLSearchParams): AuditFilter {
  return filterOf(params, NAMES);
}

export function AuditPanel() {
  const [params, setParams] = useSearchParams();
  const filter = auditFilterFrom(params);
  const pages = usePages();
  const audit = useAudit(filter, pages.after);
  const apply = (next: AuditFilter) => {
    pages.reset();
    setParams(paramsOf(next, NAMES));
  };
  const next = audit.data?.next_after;
  return (
    <section aria-label="Audit log">
      <AuditFilters key={params.toString()} filter={filter} onApply={apply} />
      <ErrorNotice error={audit.error} />
      {audit.data && audit.data.items.length === 0 && <p>No entries match.</p>}
      {audit.data && audit.data.items.length > 0 && (
        <TableScroll label="Audit entries">
          <table className="workflows audit">
            <thead><tr><th>When</th><th>Actor</th><th>Action</th><th>Entity</th><th>Change</th></tr></thead>
            <tbody>
              {audit.data.items.map((entry) => (
                <tr key={entry.entry_id} data-action={entry.action}>
                  <td>{when(entry.at)}</td>
                  <td><code>{entry.actor}</code></td>
                  <td>{entry.action}</td>
                  <td>{entry.entity_type} <code>{entry.entity_id}</code></td>
                  <td>
                    {(entry.before || entry.after) && (
                      <details>
                        <summary>before / after</summary>
                        <div className="step-io">
                          <JsonText value={entry.before} label="Before" />
                          <JsonText value={entry.after} label="After" />
                        </div>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <Pager pages={pages} next={next} />
    </section>
  );
}

function AuditFilters({ filter, onApply }: { filter: AuditFilter; onApply: (filter: AuditFilter) => void }) {
  const [draft, setDraft] = useState<AuditFilter>(filter);
  const [since, setSince] = useState("");
  const set = (name: keyof AuditFilter, value: string) => setDraft({ ...draft, [name]: value || undefined });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({ ...draft, since: localToIso(since) ?? draft.since });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
      <label>Entity type<input value={draft.entity_type ?? ""} onChange={(e) => set("entity_type", e.target.value)} placeholder="workflow, run, api_key…" /></label>
      <label>Entity id<input value={draft.entity_id ?? ""} onChange={(e) => set("entity_id", e.target.value)} /></label>
      <label>Actor (key id)<input value={draft.actor ?? ""} onChange={(e) => set("actor", e.target.value)} /></label>
      <label>Since<input type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} /></label>
      <button type="submit">Filter</button>
      <button type="button" onClick={() => { setDraft({}); setSince(""); onApply({}); }}>Clear</button>
    </form>
  );
}
