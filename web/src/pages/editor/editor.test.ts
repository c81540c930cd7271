import { describe, expect, it } from "vitest";
import { untestableBecause } from "./RuleTesterPanel";
import { unrunnableBecause } from "./TestPanel";

describe("the editor's greyed tests", () => {
  it("says why the dry run and the real event cannot run yet", () => {
    expect(unrunnableBecause("Unexpected end of JSON input", "Unexpected end of JSON input"))
      .toBe("To run it, correct the user's JSON, and correct the event data's JSON.");
    expect(unrunnableBecause(undefined, "Unexpected end of JSON input")).toBe("To run it, correct the event data's JSON.");
    expect(unrunnableBecause(undefined, undefined)).toBeNull();
  });

  it("says why the conditions cannot be tested yet", () => {
    expect(untestableBecause(undefined, undefined, true)).toBe("To test the conditions, write at least one.");
    expect(untestableBecause("Unexpected token", "Unexpected token", false))
      .toBe("To test the conditions, correct the conditions' JSON, and correct the sample payload's JSON.");
    expect(untestableBecause(undefined, undefined, false)).toBeNull();
  });
});
