import { expect, it } from "vitest";
import { canControlRuns, canEdit, canGovern, canSendEvents } from "./roles";

it("shows editing and run control to admins and editors only", () => {
  expect(["admin", "editor", "viewer", "ingest"].filter((r) => canEdit(r as never))).toEqual(["admin", "editor"]);
  expect(canControlRuns("viewer")).toBe(false);
  expect(canGovern("editor")).toBe(false);
  expect(canGovern("admin")).toBe(true);
});

it("offers a real event to the roles the API lets send one", () => {
  expect(["admin", "editor", "viewer", "ingest"].filter((r) => canSendEvents(r as never))).toEqual(["admin", "editor", "ingest"]);
});
