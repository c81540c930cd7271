import { describe, expect, it } from "vitest";
import { ApiError, errorFrom, requestInit, urlOf } from "./client";

describe("requestInit", () => {
  it("sends the session cookie and no CSRF header on reads", () => {
    const init = requestInit("GET");
    expect(init.credentials).toBe("same-origin");
    expect(init.headers).not.toHaveProperty("X-Automator-Client");
  });

  it.each(["POST", "PUT", "PATCH", "DELETE"])("marks %s as the Studio's", (method) => {
    expect(requestInit(method).headers).toHaveProperty("X-Automator-Client", "studio");
  });

  it("sends a JSON body as JSON", () => {
    const init = requestInit("POST", { body: { api_key: "atm_x" } });
    expect(init.body).toBe('{"api_key":"atm_x"}');
    expect(init.headers).toHaveProperty("Content-Type", "application/json");
  });

  it("lets the browser set a form's content type", () => {
    const init = requestInit("POST", { body: new FormData() });
    expect(init.headers).not.toHaveProperty("Content-Type");
  });
});

describe("urlOf", () => {
  it("leaves out empty query values", () => {
    expect(urlOf("/api/runs", { status: "failed", workflow_id: undefined, user: "" })).toBe("/api/runs?status=failed");
  });
});

describe("errorFrom", () => {
  it("keeps the API's message and the fields its details name", () => {
    const error = errorFrom(422, {
      error: { code: "invalid_input", message: "The document is not valid.", details: [{ loc: ["body", "actions", 0, "type"], msg: "unknown action type" }] },
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe("The document is not valid.");
    expect(error.detailsAt(["body", "actions", 0])).toHaveLength(1);
    expect(error.detailsAt(["body", "actions", 1])).toHaveLength(0);
  });

  it("words a body that is not the API's", () => {
    expect(errorFrom(502, "<html>bad gateway</html>").message).toBe("The service answered HTTP 502.");
  });
});
