// Paging through a list the API pages forward only: "Older" follows the page's `next_after`,
// "Newer" goes back to a page seen before (the cursors of the pages before are kept).
import { useState } from "react";
import { ExplainedButton } from "./ExplainedButton";

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

// The lists page newest first: the first page holds the newest, the last the oldest.
export const FIRST_PAGE = "Newer goes back to the newer page before this one; this is the first page, the newest.";
export const LAST_PAGE = "Older shows the next, older page; this is the last page: nothing is older.";
export const NOT_LOADED = "Older shows the page after this one, which has not loaded.";

/** Why Older is greyed: `next` is the page's `next_after`, null on the last page and unset
 * while the page has not loaded (or its request failed); undefined when Older works. */
export function olderReason(next: string | null | undefined): string | undefined {
  if (next) return undefined;
  return next === null ? LAST_PAGE : NOT_LOADED;
}

/** Greyed, not disabled: a disabled button takes no focus, and a keyboard user paging through
 * would lose their place, and never hear why, at the first or last page. */
export function Pager({ pages, next }: { pages: Pages; next: string | null | undefined }) {
  return (
    <div className="toolbar pager">
      <ExplainedButton reason={pages.number === 1 ? FIRST_PAGE : undefined} onClick={pages.back}>Newer</ExplainedButton>
      <span className="muted">page {pages.number}</span>
      <ExplainedButton reason={olderReason(next)} onClick={() => next && pages.forward(next)}>Older</ExplainedButton>
    </div>
  );
}
