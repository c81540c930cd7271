import { expect, it } from "vitest";
import { readDelay, writeDelay } from "./delay";

it("reads a delay in the largest unit that counts it whole", () => {
  expect(readDelay(undefined)).toEqual({ amount: 0, unit: "seconds" });
  expect(readDelay(300)).toEqual({ amount: 5, unit: "minutes" });
  expect(readDelay(90)).toEqual({ amount: 90, unit: "seconds" });
  expect(readDelay("PT5M")).toEqual({ amount: 5, unit: "minutes" });
  expect(readDelay("P1DT12H")).toEqual({ amount: 36, unit: "hours" });
  expect(readDelay("P2W")).toEqual({ amount: 14, unit: "days" });
});

it("leaves a delay no unit holds to be shown as the text it is", () => {
  for (const delay of ["P1M", "P1Y", "5 minutes", "300"]) expect(readDelay(delay)).toBeNull();
});

it("writes seconds as a number and whole minutes, hours or days as ISO 8601", () => {
  expect(writeDelay(5, "minutes")).toBe("PT5M");
  expect(writeDelay(2, "hours")).toBe("PT2H");
  expect(writeDelay(1, "days")).toBe("P1D");
  expect(writeDelay(45, "seconds")).toBe(45);
  expect(writeDelay(1.5, "hours")).toBe(5400);
  expect(writeDelay(0, "days")).toBe(0);
  for (const [amount, unit] of [[5, "minutes"], [36, "hours"], [3, "days"]] as const) {
    expect(readDelay(writeDelay(amount, unit))).toEqual({ amount, unit });
  }
});
