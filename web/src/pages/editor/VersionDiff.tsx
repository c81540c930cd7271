// Two versions' documents side by side, changed lines marked.
import { useMemo } from "react";
import { TableScroll } from "../../components/TableScroll";
import { diffDocuments } from "../../workflow/diff";

export function VersionDiff({ before, after, labels }: { before: unknown; after: unknown; labels: [string, string] }) {
  const rows = useMemo(() => diffDocuments(before, after), [before, after]);
  const changes = rows.filter((r) => r.kind !== "same").length;
  return (
    <div className="diff" aria-label="Version diff">
      <p className="muted">{changes ? `${changes} changed line${changes > 1 ? "s" : ""}` : "The two versions are the same."}</p>
      <TableScroll label="Lines of both versions">
        <table>
          <thead>
            <tr><th colSpan={2}>{labels[0]}</th><th colSpan={2}>{labels[1]}</th></tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={i} className={`diff-${row.kind}`}>
                <td className="diff-line">{row.left?.line}</td>
                <td className="diff-text diff-left">{row.left?.text}</td>
                <td className="diff-line">{row.right?.line}</td>
                <td className="diff-text diff-right">{row.right?.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}
