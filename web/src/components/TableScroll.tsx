// A wide table's box: in a narrow window the box scrolls sideways, not the page. The table
// itself keeps `display: table`: made a block to scroll, it loses its table semantics in
// some screen readers (WebKit's, Firefox's), which then read its cells as loose text.
import type { ReactNode } from "react";

export function TableScroll({ children }: { children: ReactNode }) {
  return <div className="table-scroll">{children}</div>;
}
