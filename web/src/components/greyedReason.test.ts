import { describe, expect, it } from "vitest";
import { greyedReason } from "./greyedReason";

describe("a greyed button's reason", () => {
  it("lists what is left to do in one sentence, or nothing when all is done", () => {
    expect(greyedReason("add the hook", ["name it", false, "pick the secret"])).toBe("To add the hook, name it, and pick the secret.");
    expect(greyedReason("add the hook", ["name it", "type it", "pick the secret"])).toBe("To add the hook, name it, type it, and pick the secret.");
    expect(greyedReason("add the hook", [false, null, undefined, ""])).toBeNull();
  });

  it("ends on a step's own full stop without adding a second", () => {
    expect(greyedReason("save", ["correct the JSON. Expected a JSON object."])).toBe("To save, correct the JSON. Expected a JSON object.");
  });
});
