// An id from a customer's ticket, a log line or a developer ("run_…", "evt_…") opens its
// page: the lists filter by workflow, status, user and time, never by id, so a person holding
// one had to page through them or edit the address.
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";

/** The console page of a run or event id. */
export function pageOf(id: string): string {
  return id.startsWith("evt_") ? `/events?event=${encodeURIComponent(id)}` : `/runs/${encodeURIComponent(id)}`;
}

export function FindById() {
  const navigate = useNavigate();
  const [id, setId] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (id.trim()) navigate(pageOf(id.trim()));
  };
  return (
    <form className="inline" role="search" aria-label="Open a run or event by its id" onSubmit={submit}>
      <label className="inline">
        Run or event id
        <input value={id} onChange={(e) => setId(e.target.value)} placeholder="run_… or evt_…" spellCheck={false} />
      </label>
      <button type="submit">Open</button>
    </form>
  );
}
