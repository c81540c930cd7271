import { TranslatableString } from "@rjsf/utils";
import { expect, it } from "vitest";
import { formStrings } from "./strings";

it("names a map row's key field Name and starts a new row's value empty", () => {
  expect(formStrings(TranslatableString.KeyLabel, ["X-Key"])).toBe("Name");
  expect(formStrings(TranslatableString.NewStringDefault)).toBe("");
  expect(formStrings(TranslatableString.AddItemButton)).toBe("Add Item");
});
