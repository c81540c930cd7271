import { expect, it } from "vitest";
import { canControlRuns, canEdit, canGovern } from "./roles";

it("shows editing and run control to admins and editors only", () => {
  expect(["admin", "editor", "viewer", "ingest"].filter((r) => canEdit(r as never))).toEqual(["admin", "editor"]);
  expect(canControlRuns("viewer")).toBe(false);
  expect(canGovern("editor")).toBe(false);
  expect(canGovern("admin")).toBe(true);
});
