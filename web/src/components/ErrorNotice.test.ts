import { expect, it } from "vitest";
import { moreThan } from "./ErrorNotice";

it("drops a detail that only repeats the message under it, and keeps the others", () => {
  const repeat = { loc: ["body", "subject"], msg: "user.name is not in the sample data" };
  const other = { loc: ["body", "text"], msg: "unexpected '}'" };
  expect(moreThan("subject: user.name is not in the sample data", [repeat, other])).toEqual([other]);
  expect(moreThan("the request is invalid", [repeat])).toEqual([repeat]);
});
