import { expect, it } from "vitest";
import { pausedWaitText } from "./pausedWait";

it("says what a paused delay or back-off has left, not the end it had", () => {
  expect(pausedWaitText({ reason: "delay", left_seconds: 1500 })).toBe("25 min 0 s left of its delay, counted again on resume");
  expect(pausedWaitText({ reason: "delay", left_seconds: 3599.7 })).toBe("1 h 0 min left of its delay, counted again on resume");
  expect(pausedWaitText({ reason: "retry", left_seconds: 42 }))
    .toBe("42.0 s left of its back-off before the next attempt, counted again on resume");
});
