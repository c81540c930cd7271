// A side-by-side line diff of two documents (longest common subsequence of their lines).

export interface DiffRow {
  kind: "same" | "removed" | "added" | "changed";
  left?: { line: number; text: string };
  right?: { line: number; text: string };
}

export function diffLines(before: string[], after: string[]): DiffRow[] {
  const n = before.length;
  const m = after.length;
  // common[i][j]: length of the LCS of before[i:] and after[j:].
  const common = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] = before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const rows: DiffRow[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      rows.push({ kind: "same", left: { line: i + 1, text: before[i]! }, right: { line: j + 1, text: after[j]! } });
      i++;
      j++;
    } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) {
      rows.push({ kind: "removed", left: { line: i + 1, text: before[i]! } });
      i++;
    } else {
      rows.push({ kind: "added", right: { line: j + 1, text: after[j]! } });
      j++;
    }
  }
  return pairChanges(rows);
}

/** A removed line followed by an added one reads best as one changed row. */
function pairChanges(rows: DiffRow[]): DiffRow[] {
  const out: DiffRow[] = [];
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const next = rows[k + 1];
    if (row.kind === "removed" && next?.kind === "added") {
      out.push({ kind: "changed", left: row.left!, right: next.right! });
      k++;
    } else out.push(row);
  }
  return out;
}

/** The diff of two documents as pretty-printed JSON. */
export function diffDocuments(before: unknown, after: unknown): DiffRow[] {
  return diffLines(JSON.stringify(before, null, 2).split("\n"), JSON.stringify(after, null, 2).split("\n"));
}
