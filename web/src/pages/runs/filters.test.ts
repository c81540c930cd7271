import { describe, expect, it } from "vitest";
import { filterFrom, paramsFrom } from "./filters";
import { childrenOf, startedOnFailure } from "./RunFamily";

describe("explorer filters in the address", () => {
  it("keeps the known filters, trimmed, and drops empty ones", () => {
    const params = new URLSearchParams("status=failed&user_id=%20u1%20&workflow_id=&other=x");
    expect(filterFrom(params)).toEqual({ status: "failed", user_id: "u1" });
  });

  it("round-trips a filter", () => {
    const filter = { workflow_id: "welcome", since: "2026-12-06T00:00:00.000Z" };
    expect(filterFrom(paramsFrom(filter))).toEqual(filter);
  });
});

describe("child runs", () => {
  it("reads the children a join waits for, and nothing from no join", () => {
    const join = { step: "p", mode: "all", count: 2, children: [{ run_id: "r1", branch: "a" }, { run_id: "r2" }, 7] };
    expect(childrenOf({ join })).toEqual([{ run_id: "r1", branch: "a" }, { run_id: "r2", branch: null }]);
    expect(childrenOf({ join: null })).toEqual([]);
  });

  it("tells a run an on_failure started by its parent step", () => {
    expect(startedOnFailure({ parent: { run_id: "r0", step: "$on_failure", branch: null } })).toBe(true);
    expect(startedOnFailure({ parent: { run_id: "r0", step: "go", branch: null } })).toBe(false);
    expect(startedOnFailure({ parent: null })).toBe(false);
  });
});
