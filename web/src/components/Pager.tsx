// Paging through a list the API pages forward only: "Older" follows the page's `next_after`,
// "Newer" goes back to a page seen before (the cursors of the pages before are kept).
import { useState } from "react";

export interface Pages {
  /** The `after` cursor of the page shown (undefined: the first). */
  after: string | undefined;
  number: number;
  back: () => void;
  forward: (next: string) => void;
  /** Back to the first page, as after a change of filter. */
  reset: () => void;
}

export function usePages(): Pages {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  return {
    after: cursors.at(-1),
    number: cursors.length,
    back: () => setCursors(cursors.slice(0, -1)),
    forward: (next) => setCursors([...cursors, next]),
    reset: () => setCursors([undefined]),
  };
}

export function Pager({ pages, next }: { pages: Pages; next: string | null | undefined }) {
  return (
    <div className="toolbar pager">
      <button type="button" disabled={pages.number === 1} onClick={pages.back}>Newer</button>
      <span className="muted">page {pages.number}</span>
      <button type="button" disabled={!next} onClick={() => next && pages.forward(next)}>Older</button>
    </div>
  );
}
