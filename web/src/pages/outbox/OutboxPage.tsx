// The dev outbox: the messages the service kept instead of sending them (no provider
// configured, as under `automator dev`), newest first, each with the run and step that sent
// it; filtered by channel, recipient and run (kept in the address); one message whole beside
// the list, its HTML shown as source text.
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { OUTBOX_FILTERS, preview, useOutbox, type OutboxFilter, type OutboxMessage } from "../../api/outbox";
import { filterOf, paramsOf } from "../../components/addressFilter";
import { ErrorNotice } from "../../components/ErrorNotice";
import { FilterText } from "../../components/forms/FilterText";
import { Pager, usePages } from "../../components/Pager";
import { when } from "../../components/time";
import { TableScroll } from "../../components/TableScroll";
import { WorkflowName } from "../../components/WorkflowName";

const CHANNELS = ["email", "sms", "push", "whatsapp"];

export function OutboxPage() {
  const [params, setParams] = useSearchParams();
  const filter: OutboxFilter = filterOf(params, OUTBOX_FILTERS);
  const pages = usePages();
  const [chosen, setChosen] = useState<OutboxMessage>();
  const messages = useOutbox(filter, pages.after);
  const change = (name: keyof OutboxFilter, value: string) => {
    pages.reset();
    setParams(paramsOf({ ...filter, [name]: value }, OUTBOX_FILTERS));
  };
  return (
    <section>
      <div className="page-title">
        <h1>Outbox</h1>
        <span className="muted">messages kept instead of sent: no provider is configured for their channel</span>
      </div>
      <form className="toolbar" key={params.toString()} onSubmit={(e) => e.preventDefault()}>
        <label>
          Channel{" "}
          <select name="channel" value={filter.channel ?? ""} onChange={(e) => change("channel", e.target.value)}>
            <option value="">any</option>
            {CHANNELS.map((channel) => <option key={channel} value={channel}>{channel}</option>)}
          </select>
        </label>
        <FilterText label="Recipient" name="recipient" value={filter.recipient} placeholder="any recipient" onApply={(value) => change("recipient", value)} />
        {filter.run_id && (
          <span>
            Run <code>{filter.run_id}</code> <button type="button" className="link" onClick={() => change("run_id", "")}>any run</button>
          </span>
        )}
      </form>
      <ErrorNotice error={messages.error} />
      {messages.isPending && <p>Loading…</p>}
      {messages.data && messages.data.items.length === 0 && (
        <p>No messages{Object.keys(filter).length ? " match" : " yet: a run's email, SMS, push or WhatsApp step puts its message here when no provider is configured"}.</p>
      )}
      {messages.data && messages.data.items.length > 0 && (
        <TableScroll label="Outbox messages">
          <table className="workflows outbox">
            <thead>
              <tr><th>Kept at</th><th>Channel</th><th>Recipient</th><th>Message</th><th>Sent by</th></tr>
            </thead>
            <tbody>
              {messages.data.items.map((message) => (
                <tr key={message.id} data-message={message.id}>
                  <td>{when(message.created_at)}</td>
                  <td>{message.channel}</td>
                  <td>{message.recipient}</td>
                  <td>
                    <button type="button" className="link" onClick={() => setChosen(message)}>
                      {message.subject ? <strong>{message.subject}</strong> : <em>no subject</em>}
                    </button>{" "}
                    <span className="muted">{preview(message)}</span>
                  </td>
                  <td>
                    <Link to={`/runs/${encodeURIComponent(message.run_id)}`}><code>{message.run_id}</code></Link>{" "}
                    <span className="muted"><WorkflowName id={message.workflow_id} /> · step {message.step_id}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <Pager pages={pages} next={messages.data?.next_after} />
      {chosen && <OutboxDetail message={chosen} />}
    </section>
  );
}

function OutboxDetail({ message }: { message: OutboxMessage }) {
  return (
    <aside className="panel" aria-label="Message">
      <h2>{message.subject ?? message.channel} <code>{message.id}</code></h2>
      <p>To {message.recipient} by {message.channel}, kept at {when(message.created_at)}.</p>
      {message.text !== null && <><h3>Text</h3><pre>{message.text}</pre></>}
      {message.html !== null && <><h3>HTML (as written)</h3><pre>{message.html}</pre></>}
    </aside>
  );
}
