import { describe, expect, it } from "vitest";
import { LAST_PAGE, NOT_LOADED, olderReason } from "./Pager";

describe("the pager's Older", () => {
  it("works while the page names a next one", () => {
    expect(olderReason("run_42")).toBeUndefined();
  });

  it("says why at the last page, and while the page has not loaded", () => {
    expect(olderReason(null)).toBe(LAST_PAGE);
    expect(olderReason(undefined)).toBe(NOT_LOADED);
  });
});
