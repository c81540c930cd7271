import { expect, it } from "vitest";
import { emptyListText } from "./addressFilter";

it("says a filter matched nothing, or with no filter that there is nothing yet and why", () => {
  expect(emptyListText({ status: "failed" }, "runs", "send an event.")).toBe("No runs match.");
  expect(emptyListText({}, "runs", "send an event.")).toBe("No runs yet: send an event.");
  expect(emptyListText({ type: undefined }, "events", "send one.")).toBe("No events yet: send one.");
});
