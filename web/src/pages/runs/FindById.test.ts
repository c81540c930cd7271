import { expect, it } from "vitest";
import { pageOf } from "./FindById";

it("opens an event id on the event log and anything else as a run", () => {
  expect(pageOf("evt_01a25138039ffe14918c0e14")).toBe("/events?event=evt_01a25138039ffe14918c0e14");
  expect(pageOf("run_01a2513803a0a06f4b961205")).toBe("/runs/run_01a2513803a0a06f4b961205");
});
