import { describe, expect, test } from "bun:test";
import { parsePath, pathKey, requestSegments } from "./path";
import { RouteTable } from "./route-table";

function table(routes: [string, string][]) {
  const t = new RouteTable<string>();
  for (const [method, path] of routes) {
    const parsed = parsePath(path);
    if ("error" in parsed) throw new Error(parsed.error);
    t.add(method, parsed.segments, `${method} ${path}`);
  }
  return t;
}

describe("parsePath", () => {
  const good: [string, string][] = [
    ["/", "/"],
    ["/orders", "/orders"],
    ["/orders/:id", "/orders/:"],
    ["/a/:x/b/:y", "/a/:/b/:"],
    ["/caf%C3%A9", "/caf%C3%A9"],
    ["/v1.2/items~x", "/v1.2/items~x"],
  ];
  for (const [path, key] of good) {
    test(`${path} is valid`, () => {
      const parsed = parsePath(path);
      expect("segments" in parsed).toBe(true);
      if ("segments" in parsed) expect(pathKey(parsed.segments)).toBe(key);
    });
  }
  const bad: [string, RegExp][] = [
    ["orders", /start with \//],
    ["/orders/", /end with \//],
    ["/a//b", /empty segments/],
    ["/a/:id/:id", /repeats/],
    ["/a/:1x", /invalid parameter/],
    ["/a/:__proto__", /invalid parameter/],
    ["/a/b?c=1", /invalid segment/],
    ["/a/b#c", /invalid segment/],
    ["/a/%zz", /invalid segment/],
    ["/a/' or 1=1 --", /invalid segment/],
    ["/" + "a/".repeat(40) + "a", /at most 32/],
  ];
  for (const [path, message] of bad) {
    test(`${JSON.stringify(path)} is refused`, () => {
      const parsed = parsePath(path);
      expect("error" in parsed && parsed.error).toMatch(message);
    });
  }
});

describe("RouteTable", () => {
  const routes = table([
    ["GET", "/users/me"],
    ["GET", "/users/:id"],
    ["POST", "/users/:id"],
    ["DELETE", "/users/:id/keys/:key"],
    ["GET", "/"],
    ["PUT", "/files/:name"],
  ]);
  const cases: [string, string, unknown][] = [
    ["GET", "/users/me", { kind: "found", value: "GET /users/me", params: {} }],
    ["GET", "/users/42", { kind: "found", value: "GET /users/:id", params: { id: "42" } }],
    ["POST", "/users/me", { kind: "found", value: "POST /users/:id", params: { id: "me" } }],
    ["DELETE", "/users/7/keys/k%2F1", { kind: "found", value: "DELETE /users/:id/keys/:key", params: { id: "7", key: "k/1" } }],
    ["GET", "/", { kind: "found", value: "GET /", params: {} }],
    ["PUT", "/files/r%C3%A9sum%C3%A9%20v2.pdf", { kind: "found", value: "PUT /files/:name", params: { name: "résumé v2.pdf" } }],
    ["PATCH", "/users/42", { kind: "method_not_allowed", allow: ["GET", "POST"] }],
    ["GET", "/users/7/keys/1", { kind: "method_not_allowed", allow: ["DELETE"] }],
    ["GET", "/nope", { kind: "not_found" }],
    ["GET", "/users/1/2", { kind: "not_found" }],
  ];
  for (const [method, path, expected] of cases) {
    test(`${method} ${path}`, () => {
      expect(routes.match(method, requestSegments(path)!)).toEqual(expected as never);
    });
  }

  test("matchLiteral answers exactly as match does whenever it answers", () => {
    const mixed = table([
      ["GET", "/users/me"],
      ["GET", "/users/:id"],
      ["POST", "/users/:id"],
      ["GET", "/"],
      ["GET", "/a%2Fb"],
      ["GET", "/a/b"],
      ["POST", "/orders/:id/items"],
      ["POST", "/orders/open/items"],
      ["GET", "/caf%C3%A9"],
    ]);
    const paths = ["", "users/me", "users/42", "a/b", "a", "orders/open/items", "orders/7/items", "café", "users", "users/me/x"];
    let answered = 0;
    for (const path of paths) {
      for (const method of ["GET", "POST", "PUT"]) {
        const fast = mixed.matchLiteral(method, path);
        if (fast === undefined) continue;
        answered++;
        expect(fast).toEqual(mixed.match(method, requestSegments(path)!));
      }
    }
    // Literal-only routes: /users/me, /, /a/b, /orders/open/items and café; never the escaped-slash one.
    expect(answered).toBe(5);
    expect(mixed.matchLiteral("POST", "users/me")).toBeUndefined();
    expect(mixed.matchLiteral("GET", "a%2Fb")).toBeUndefined();
    expect(mixed.match("GET", requestSegments("a%2Fb")!)).toEqual({ kind: "found", value: "GET /a%2Fb", params: {} });
  });

  test("malformed escapes in a request path are refused before matching", () => {
    expect(requestSegments("/users/%E0%A4%A")).toBeUndefined();
  });
});
