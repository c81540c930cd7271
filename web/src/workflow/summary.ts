// What an action does, in the few words its node on the canvas shows under its name: where
// a webhook posts, what a message says, what a wait waits for. Null when its data says
// nothing yet (or the node's other lines say it: a delay, a condition, a template).
import type { Action } from "./document";

function given(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && value.trim() ? value : null;
}

export function actionSummary(action: Action): string | null {
  const data = action.data ?? {};
  const text = (key: string) => given(data, key);
  switch (action.type) {
    case "webhook_call":
      return text("url") && `${text("method") ?? "POST"} ${text("url")}`;
    case "send_email":
      return text("subject") ?? (text("recipient") && `to ${text("recipient")}`);
    case "send_sms":
    case "send_whatsapp":
      return text("body") ?? (text("recipient") && `to ${text("recipient")}`);
    case "send_push":
      return text("title") ?? text("body");
    case "log":
      return text("message");
    case "wait_for_event":
      return text("event") && `for ${text("event")}${text("timeout") ? `, up to ${text("timeout")}` : ""}`;
    case "trigger_workflow":
      return text("workflow_id") && `starts ${text("workflow_id")}`;
    case "set": {
      const names = Object.keys(data);
      return names.length ? `sets ${names.join(", ")}` : null;
    }
    default:
      return null;
  }
}
