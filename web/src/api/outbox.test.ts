import { expect, it } from "vitest";
import { preview } from "./outbox";

it("previews a message's text on one line, cut short with an ellipsis", () => {
  expect(preview({ text: "Hi Ada,\n\nthanks  for joining.", html: "<p>x</p>" })).toBe("Hi Ada, thanks for joining.");
  const long = preview({ text: "word ".repeat(60), html: null });
  expect(long).toHaveLength(120);
  expect(long.endsWith("…")).toBe(true);
});

it("previews an HTML-only message as written, and nothing when there is no body", () => {
  expect(preview({ text: null, html: "<p>Hello</p>" })).toBe("<p>Hello</p>");
  expect(preview({ text: null, html: null })).toBe("");
});
