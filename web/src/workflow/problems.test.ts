import { expect, it } from "vitest";
import { NESTED } from "./fixtures";
import { problemsByNode } from "./problems";

it("puts each API error on its node and field, nested lists and compensation included", () => {
  const problems = problemsByNode(NESTED, [
    { loc: ["actions", 0, "then", 0, "data", "recipient"], msg: "5 is not of type 'string'; see GET /api/connectors" },
    { loc: ["actions", 0, "then", 1, "variants", 0, "actions", 0, "delay"], msg: "a delay is seconds" },
    { loc: ["body", "actions", 1, "on_event", 0, "actions", 0, "type"], msg: "unknown action type 'x'" },
    { loc: ["actions", 2, "branches", 1, "actions", 1], msg: "boom" },
    { loc: ["settings", "compensation", 0, "data"], msg: "bad data" },
    { loc: ["trigger", "type"], msg: "bad type" },
    { loc: ["settings", "concurrency", "key"], msg: "the template does not compile: unexpected '}' (line 1)" },
  ]);
  expect(problems.get("vip")?.fields).toEqual({ "data.recipient": ["5 is not of type 'string'; see GET /api/connectors"] });
  expect(problems.get("short_mail")?.fields).toEqual({ delay: ["a delay is seconds"] });
  expect(problems.get("ping")?.messages).toEqual(["type: unknown action type 'x'"]);
  expect(problems.get("pause")?.messages).toEqual(["boom"]);
  expect(problems.get("undo")?.fields).toEqual({ data: ["bad data"] });
  // The trigger's node holds the workflow's own fields too: each message says which.
  expect(problems.get("trigger")?.messages).toEqual([
    "trigger.type: bad type",
    "settings.concurrency.key: the template does not compile: unexpected '}' (line 1)",
  ]);
});

it("puts a required property that is missing on that field, not on the whole data", () => {
  const problems = problemsByNode(NESTED, [
    { loc: ["actions", 0, "then", 0, "data", "url"], msg: "'url' is a required property" },
  ]);
  expect(problems.get("vip")?.fields).toEqual({ "data.url": ["'url' is a required property"] });
  expect(problems.get("vip")?.messages).toEqual(["data.url: 'url' is a required property"]);
});

it("leaves out the API's pointer to the connector catalogue, which the form itself shows", () => {
  const problems = problemsByNode(NESTED, [
    { loc: ["actions", 0, "then", 0, "data", "url"], msg: "'url' is a required property; see GET /api/connectors for the inputs of 'webhook_call'" },
  ]);
  expect(problems.get("vip")?.messages).toEqual(["data.url: 'url' is a required property"]);
});
