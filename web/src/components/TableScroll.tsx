// A wide table's box: in a narrow window the box scrolls sideways, not the page. The table
// itself keeps `display: table`: made a block to scroll, it loses its table semantics in
// some screen readers (WebKit's, Firefox's), which then read its cells as loose text.
import { useEffect, useRef, useState, type ReactNode, type RefObject } from "react";

/** `label` names the box after its table ("Runs"): a screen reader announces the region by it.
 * While the box scrolls it takes the focus, so the keyboard scrolls it with the arrow keys:
 * a table of text alone offers nothing else to focus, and a mouse-less user could not reach
 * its right-hand columns. A box that fits its table is no tab stop. */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const box = useRef<HTMLDivElement>(null);
  const scrolls = useScrolls(box);
  return (
    <div ref={box} className="table-scroll" role="region" aria-label={label} tabIndex={scrolls ? 0 : undefined}>
      {children}
    </div>
  );
}

/** Whether the box scrolls sideways now, followed as the window or the table changes size. */
function useScrolls(box: RefObject<HTMLDivElement | null>): boolean {
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    // Wide windows leave the box's overflow visible (styles.css): wider content never scrolls.
    const measure = () =>
      setScrolls(getComputedStyle(element).overflowX !== "visible" && element.scrollWidth > element.clientWidth);
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    for (const child of element.children) observer.observe(child);
    return () => observer.disconnect();
  }, [box]);
  return scrolls;
}
