import { expect, it } from "vitest";
import type { WorkflowDocument } from "./document";
import { dateOf, sampleContext, sampleEvent, satisfying, templateSample, userFieldsRead } from "./sample";

// The seed's welcome campaign (examples/workflows/welcome_campaign_001.json), abridged.
const WELCOME: WorkflowDocument = {
  workflow_id: "welcome_campaign_001",
  name: "Welcome Campaign",
  trigger: { type: "user_signup", conditions: [{ field: "email_verified", operator: "equals", value: true }] },
  actions: [
    { id: "action_001", type: "send_email", template: "welcome_email",
      data: { recipient: "{{user.email}}", variables: { user_name: "{{user.name}}", signup_date: "{{user.createdAt}}" } } },
    { id: "action_002", type: "send_push", data: { recipients: ["{{user.deviceToken}}"] } },
    { id: "action_003", type: "update_user_profile", data: { user_id: "{{ user.id }}" } },
  ],
};

it("makes the seed's welcome campaign's condition hold and fills the user fields it reads", () => {
  const sample = sampleEvent(WELCOME);
  expect(sample.data).toEqual({ email_verified: true });
  expect(sample.user).toMatchObject({ id: "u1", email: "ada@example.com", name: "Ada", deviceToken: "device-token-u1" });
  expect(sample.user["createdAt"]).toMatch(/^\d{4}-\d\d-\d\d$/);
});

it("lists the user fields templates read, once each", () => {
  expect(userFieldsRead(WELCOME)).toEqual(["email", "name", "createdAt", "deviceToken", "id"]);
});

it("places user paths in the user, nested paths as objects and lists, and skips the run's own roots", () => {
  const doc: WorkflowDocument = {
    workflow_id: "w", name: "w", actions: [],
    trigger: { type: "order", conditions: [
      { all: [{ field: "user.tier", operator: "in_list", value: ["gold", "platinum"] }, { field: "cart.items.0.price", operator: "greater_than", value: 50 }] },
      { any: [{ field: "country", operator: "equals", value: "NL" }, { field: "country", operator: "equals", value: "BE" }] },
      { not: { field: "blocked", operator: "equals", value: true } },
      { field: "vars.seen", operator: "exists" },
    ] },
  };
  expect(sampleContext(doc)).toEqual({
    cart: { items: [{ price: 51 }] },
    country: "NL",
    user: { id: "u1", email: "ada@example.com", name: "Ada", tier: "gold" },
  });
});

it("picks a value each operator holds for, and none for the negations", () => {
  expect(satisfying({ field: "n", operator: "less_than", value: 3 })).toBe(2);
  expect(satisfying({ field: "n", operator: "between", value: [10, 20] })).toBe(15);
  expect(satisfying({ field: "t", operator: "contains", value: "vip" })).toBe("vip");
  expect(satisfying({ field: "t", operator: "contains", value: 7 })).toEqual([7]);
  expect(satisfying({ field: "t", operator: "is_not_empty" })).toBe("sample");
  expect(satisfying({ field: "t", operator: "not_equals", value: 1 })).toBeUndefined();
  expect(satisfying({ field: "t", operator: "matches", value: "^a" })).toBeUndefined();
  const before = satisfying({ field: "d", operator: "before", value: "now-P7D" }) as string;
  expect(Date.parse(before)).toBeLessThan(Date.now() - 7 * 86_400_000);
});

it("reads a before/after value as a date, now, or now plus or minus a duration", () => {
  const now = Date.parse("2026-12-06T12:00:00Z");
  expect(dateOf("now", now)).toBe(now);
  expect(dateOf("now-P1DT2H", now)).toBe(now - 26 * 3_600_000);
  expect(dateOf("now+P1W", now)).toBe(now + 7 * 86_400_000);
  expect(dateOf("2026-01-01T00:00:00Z", now)).toBe(Date.parse("2026-01-01T00:00:00Z"));
});

it("makes the conditions on the main path's steps hold too, the trigger's first", () => {
  const doc: WorkflowDocument = {
    workflow_id: "w", name: "w",
    trigger: { type: "order", conditions: [
      { field: "country", operator: "equals", value: "NL" },
      { not: { field: "blocked", operator: "equals", value: true } },
    ] },
    actions: [
      { id: "coupon", type: "log", conditions: [{ field: "coupon", operator: "exists" }] },
      { id: "big", type: "condition", conditions: [{ field: "cart_value", operator: "greater_than", value: 100 }],
        then: [
          { id: "vip", type: "log", conditions: [{ field: "user.tier", operator: "in_list", value: ["gold"] }] },
          { id: "each", type: "loop", data: { items: "{{ cart.items }}" },
            actions: [{ id: "pricey", type: "log", conditions: [{ field: "item.price", operator: "greater_than", value: 5 }] }] },
        ],
        else: [{ id: "small", type: "log", conditions: [{ field: "cart_value", operator: "less_than", value: 10 }] }] },
      { id: "again", type: "log", conditions: [
        { field: "country", operator: "equals", value: "BE" },
        { field: "blocked", operator: "equals", value: true },
        { field: "cart_value", operator: "greater_than", value: 1000 },
      ] },
      { id: "wait", type: "wait_for_event", data: { event: "paid" },
        on_event: [{ id: "thanks", type: "log", conditions: [{ field: "paid_with", operator: "equals", value: "card" }] }],
        on_timeout: [{ id: "nudge", type: "log", conditions: [{ field: "paid_with", operator: "equals", value: "none" }] }] },
    ],
  };
  // The trigger's fields stay as it needs them (country, no `blocked`); the first step to
  // test cart_value sets it; the else arm, the timeout arm and the loop's item are left out;
  // the loop goes over a list.
  expect(sampleContext(doc)).toEqual({
    cart: { items: [{ name: "Sample item", quantity: 1, price: 40 }] },
    country: "NL",
    coupon: "sample",
    cart_value: 101,
    paid_with: "card",
    user: { id: "u1", email: "ada@example.com", name: "Ada", tier: "gold" },
  });
});

it("gives the event data the fields the named message templates and the steps read", () => {
  // The walk's abandoned cart: a dry run on the defaults "would end failed" for want of cart.*.
  const cart: WorkflowDocument = {
    workflow_id: "abandoned_cart_recovery", name: "Abandoned cart recovery",
    trigger: { type: "abandoned_cart" },
    actions: [
      { id: "send_email_1", type: "send_email", template: "cart_reminder", data: { recipient: "{{ user.email }}" } },
      { id: "log_1", type: "log", data: { message: "{{ cart.currency }} {{ steps.send_email_1.output }} {{ discount }}" } },
    ],
  };
  const templates = [
    { name: "cart_reminder", subject: "{{ user.name }}, your cart", text: "{% for line in cart.items %}{{ line.sku }}{% endfor %} {{ cart.total }} {{ user.firstName }}", html: null },
    { name: "unused", subject: "{{ order.id }}", text: null, html: null },
  ];

  const sample = sampleEvent(cart, templates);

  expect(sample.data).toEqual({
    cart: { currency: "sample currency", items: [{ name: "Sample item", quantity: 1, price: 40 }], total: 80 },
  });
  expect(sample.user["firstName"]).toBe("Ada");
  // The Rule Tester's payload is that event as a run's context.
  expect(sampleContext(cart, templates)).toEqual({ ...sample.data, user: sample.user });
});

it("makes a list of the event data a step gives a template's variable that it counts or goes over", () => {
  // The seed's abandoned cart passes `cart_items: "{{cart.items}}"`: a template counting
  // `cart_items` read "you left 12 items" on the sample's text "sample items".
  const seed: WorkflowDocument = {
    workflow_id: "abandoned_cart_recovery", name: "Abandoned Cart Recovery",
    trigger: { type: "abandoned_cart" },
    actions: [{
      id: "action_001", type: "send_email", template: "cart_reminder",
      data: { recipient: "{{user.email}}", variables: { cart_items: "{{cart.items}}", lines: "{{ cart.lines }}", cart_total: "{{cart.total}}" } },
    }],
  };
  const templates = [{
    name: "cart_reminder", subject: "Your cart",
    text: "You left {{ cart_items | length }} items worth {{ cart_total }}. {% for line in lines %}{{ line.name }}{% endfor %}", html: null,
  }];

  const item = { name: "Sample item", quantity: 1, price: 40 };
  expect(sampleEvent(seed, templates).data).toEqual({ cart: { items: [item], lines: [item], total: 80 } });
});

it("fills a template's sample data with the variables the step that names it gives", () => {
  // Opened from the seed's abandoned cart's warning, the template's sample was a signup's
  // (user_name, signup_date): its preview said "cart_items is not in the sample data".
  const step = {
    id: "action_001", type: "send_email", template: "cart_reminder",
    data: { recipient: "{{user.email}}", variables: { user_name: "{{user.name}}", cart_items: "{{cart.items}}", cart_total: "{{ cart.total }}", greeting: "Hi {{ user.name }}", source: "seed" } },
  };
  const template = { name: "cart_reminder", subject: null, text: "You left {{ cart_items | length }} items", html: null };

  const item = { name: "Sample item", quantity: 1, price: 40 };
  expect(templateSample(step, template)).toEqual({
    cart: { items: [item], total: 80 },
    user: { id: "u1", email: "ada@example.com", name: "Ada" },
    user_name: "Ada", cart_items: [item], cart_total: 80, greeting: "sample greeting", source: "seed",
  });
  // Until the template counts or goes over a variable, it is the path's sample text.
  expect(templateSample(step, { ...template, text: "Hello" })["cart_items"]).toBe("sample items");
});
