// Documents the unit tests share: every kind of branch, nested.
import type { WorkflowDocument } from "./document";

export const NESTED: WorkflowDocument = {
  workflow_id: "nested",
  name: "Every branch",
  trigger: { type: "order_placed" },
  actions: [
    {
      id: "big",
      type: "condition",
      conditions: [{ field: "total", operator: "greater_than", value: 100 }],
      then: [
        { id: "vip", type: "send_email", template: "vip", delay: "PT5M" },
        {
          id: "ab",
          type: "split",
          data: { holdout: 10 },
          variants: [
            { name: "short", weight: 1, actions: [{ id: "short_mail", type: "send_email" }] },
            { name: "long", weight: 3 },
          ],
        },
      ],
      else: [],
    },
    {
      id: "wait_pay",
      type: "wait_for_event",
      data: { event: "paid", timeout: "P1D" },
      on_event: [
        {
          id: "each",
          type: "loop",
          data: { items: "{{ data.items }}" },
          actions: [{ id: "ping", type: "webhook_call", data: { url: "http://127.0.0.1/x" } }],
        },
      ],
      on_timeout: [{ id: "nudge", type: "send_sms", delay: 3600 }],
    },
    {
      id: "fan",
      type: "parallel",
      data: { join: "first", count: 1 },
      branches: [
        { name: "a", actions: [{ id: "log_a", type: "log", data: { message: "a" } }] },
        { name: "b", actions: [{ id: "log_b", type: "log" }, { id: "pause", type: "delay", delay: 60 }] },
      ],
    },
    { id: "done", type: "update_user_profile" },
  ],
  settings: {
    on_error: "compensate",
    compensation: [{ id: "undo", type: "webhook_call", data: { url: "http://127.0.0.1/undo" } }],
    send_window: { not_before: "09:00" },
  },
  studio: { positions: { big: { x: 10, y: 20 } } },
};

/** An approval with its three branches: one filled, one empty, one with two steps. */
export const APPROVAL: WorkflowDocument = {
  workflow_id: "expense",
  name: "Expense approval",
  trigger: { type: "expense_submitted" },
  actions: [
    { id: "ask", type: "send_email", data: { subject: "Approve: {{ approval.approve_url }}" } },
    {
      id: "manager_ok",
      type: "approval",
      data: { timeout: "P3D", message: "{{ amount }} EUR" },
      on_approve: [{ id: "pay", type: "webhook_call", data: { url: "https://erp.example.com/pay" } }],
      on_reject: [],
      on_timeout: [
        { id: "remind", type: "send_email", data: { subject: "Still waiting" } },
        { id: "escalate", type: "set", data: { escalate: true } },
      ],
    },
    { id: "done", type: "log", data: { message: "decided" } },
  ],
};
