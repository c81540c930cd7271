import { expect, it } from "vitest";
import { diffDocuments, diffLines } from "./diff";

it("pairs a changed line and keeps the common ones", () => {
  const rows = diffLines(["a", "b", "c"], ["a", "B", "c", "d"]);
  expect(rows.map((r) => r.kind)).toEqual(["same", "changed", "same", "added"]);
  expect(rows[1]).toEqual({ kind: "changed", left: { line: 2, text: "b" }, right: { line: 2, text: "B" } });
});

it("shows a changed delay between two versions", () => {
  const rows = diffDocuments({ actions: [{ id: "a", delay: 0 }] }, { actions: [{ id: "a", delay: 300 }] });
  expect(rows.filter((r) => r.kind !== "same")).toEqual([
    { kind: "changed", left: { line: 5, text: '      "delay": 0' }, right: { line: 5, text: '      "delay": 300' } },
  ]);
});
