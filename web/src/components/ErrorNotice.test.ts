import { expect, it } from "vitest";
import { moreThan } from "./ErrorNotice";

it("drops a detail that only repeats the message under it, and keeps the others", () => {
  const repeat = { loc: ["body", "subject"], msg: "user.name is not in the sample data" };
  const other = { loc: ["body", "text"], msg: "unexpected '}'" };
  expect(moreThan("subject: user.name is not in the sample data", [repeat, other])).toEqual([other]);
  expect(moreThan("the request is invalid", [repeat])).toEqual([repeat]);
});

it("drops the detail a request's 422 quotes in its message, keeping those it only counts", () => {
  const operator = { loc: ["body", "conditions", 0, "operator"], msg: "Input should be 'equals' or 'between'" };
  const value = { loc: ["body", "conditions", 1, "value"], msg: "Field required" };
  const one = "The request is not valid: body.conditions.0.operator: Input should be 'equals' or 'between'";
  expect(moreThan(one, [operator])).toEqual([]);
  expect(moreThan(`${one} (and 1 more)`, [operator, value])).toEqual([value]);
  expect(moreThan("The request is not valid: body.conditions.1.value: Field required", [operator])).toEqual([operator]);
});
