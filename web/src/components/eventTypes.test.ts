import { describe, expect, it } from "vitest";
import { eventTypeSuggestions } from "./eventTypes";

describe("event type suggestions", () => {
  it("say whether the type was received and which workflows use it", () => {
    expect(eventTypeSuggestions([
      { type: "abandoned_cart", received: false, workflows: ["cart_recovery"] },
      { type: "user_signup", received: true, workflows: [] },
      { type: "purchase_completed", received: true, workflows: ["a", "b", "c", "d", "e"] },
    ])).toEqual([
      { value: "abandoned_cart", label: "not received yet · in cart_recovery" },
      { value: "user_signup", label: "received" },
      { value: "purchase_completed", label: "received · in a, b, c and 2 more" },
    ]);
  });
});
