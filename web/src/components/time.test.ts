import { describe, expect, it } from "vitest";
import { duration } from "./time";

describe("duration", () => {
  it("reads at every scale, and never rounds a sub-millisecond time to a false 0 or 1 ms", () => {
    expect([0, 0.0004, 0.85, 12.44, 185, 7440].map(duration)).toEqual(["0 ms", "< 1 ms", "850 ms", "12.4 s", "3 min 5 s", "2 h 4 min"]);
    expect(duration(null)).toBe("–");
  });
});
