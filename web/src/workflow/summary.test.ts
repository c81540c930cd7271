import { expect, it } from "vitest";
import { actionSummary } from "./summary";

it("says where a webhook posts and what a message says, from the action's data", () => {
  expect(actionSummary({ type: "webhook_call", data: { url: "http://127.0.0.1:5080/ok" } })).toBe("POST http://127.0.0.1:5080/ok");
  expect(actionSummary({ type: "webhook_call", data: { url: "https://x.test/", method: "PUT" } })).toBe("PUT https://x.test/");
  expect(actionSummary({ type: "send_email", data: { subject: "Welcome {{ user.name }}", recipient: "a@x.test" } })).toBe("Welcome {{ user.name }}");
  expect(actionSummary({ type: "send_email", data: { recipient: "a@x.test" } })).toBe("to a@x.test");
  expect(actionSummary({ type: "wait_for_event", data: { event: "purchase_completed", timeout: "P1D" } })).toBe("for purchase_completed, up to P1D");
  expect(actionSummary({ type: "set", data: { coupon: "VIP20", tier: "gold" } })).toBe("sets coupon, tier");
});

it("says nothing while the data says nothing, or for what other lines show", () => {
  expect(actionSummary({ type: "webhook_call", data: { url: "" } })).toBeNull();
  expect(actionSummary({ type: "send_email" })).toBeNull();
  expect(actionSummary({ type: "delay", delay: 300 })).toBeNull();
});
