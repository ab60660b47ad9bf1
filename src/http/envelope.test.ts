import { describe, expect, test } from "bun:test";
import { errorBody, errorJson, shareRefusal } from "./envelope";
import { badRequest, unauthorized } from "./errors";

describe("errorJson", () => {
  test("is the JSON of errorBody, details only when there are some", () => {
    const plain = unauthorized("Invalid API key or session token");
    expect(JSON.parse(errorJson(plain))).toEqual({ success: false, error: { code: "UNAUTHORIZED", message: "Invalid API key or session token" } });
    const detailed = badRequest("Request body /qty must be >= 1", { on: "body" });
    expect(JSON.parse(errorJson(detailed))).toEqual(JSON.parse(JSON.stringify(errorBody(detailed))));
  });

  test("a shared refusal is frozen and its JSON made once; any other error's every time", () => {
    const stringify = JSON.stringify;
    let made = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      made++;
      return stringify(...args);
    }) as typeof stringify;
    try {
      const shared = shareRefusal(unauthorized("shared refusal"));
      expect(Object.isFrozen(shared)).toBe(true);
      expect(made).toBe(1);
      for (let i = 0; i < 3; i++) expect(JSON.parse(errorJson(shared)).error.message).toBe("shared refusal");
      expect(made).toBe(1);
      const fresh = unauthorized("one call's refusal");
      errorJson(fresh);
      errorJson(fresh);
      expect(made).toBe(3);
    } finally {
      JSON.stringify = stringify;
    }
  });
});
