import { describe, expect, it } from "vitest";
import { untestableBecause } from "./RuleTesterPanel";
import { realRun, unrunnableBecause } from "./TestPanel";

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

describe("the Test tab's real run", () => {
  const editor = { canEdit: true, canSendEvents: true };
  it("sends the event, or runs a scheduled workflow now", () => {
    expect(realRun({ ...editor, scheduled: false, skipDelays: false })).toBe("event");
    expect(realRun({ ...editor, scheduled: true, skipDelays: false })).toBe("run_now");
  });
  it("runs the workflow now, skipping its delays, when asked to skip them", () => {
    expect(realRun({ ...editor, scheduled: false, skipDelays: true })).toBe("test_run");
    expect(realRun({ ...editor, scheduled: true, skipDelays: true })).toBe("test_run");
  });
  it("offers an ingest key the event only, and a viewer nothing", () => {
    expect(realRun({ canEdit: false, canSendEvents: true, scheduled: false, skipDelays: true })).toBe("event");
    expect(realRun({ canEdit: false, canSendEvents: true, scheduled: true, skipDelays: false })).toBeNull();
    expect(realRun({ canEdit: false, canSendEvents: false, scheduled: false, skipDelays: false })).toBeNull();
  });
});
