import { afterAll, describe, expect, test } from "bun:test";
import { Elysia, t } from "elysia";
import { AppError, ERROR_STATUS, type ErrorCode } from "../src/http/errors";
import { ok } from "../src/http/envelope";
import { createTestApp } from "./helpers/app";

const testApp = createTestApp({ bodyLimitBytes: 1024 });
testApp.app.use(
  new Elysia({ prefix: "/test" })
    .get("/throw/:code", ({ params }) => {
      throw new AppError(params.code as ErrorCode, `thrown ${params.code}`, { details: { which: params.code } });
    })
    .get("/bug", () => {
      throw new Error("SQLITE_ERROR near SELECT * FROM secrets WHERE key = 'hunter2'");
    })
    .post("/echo", ({ body }) => ok(body), { body: t.Object({ name: t.String({ maxLength: 10 }), n: t.Optional(t.Number()) }) })
    .post("/any", ({ body }) => ok(body ?? null)),
);
afterAll(() => testApp.close());

function expectErrorEnvelope(json: any, code: string) {
  expect(json.success).toBe(false);
  expect(json.error.code).toBe(code);
  expect(typeof json.error.message).toBe("string");
  expect(json.error.message.length).toBeGreaterThan(0);
  expect(Object.keys(json).sort()).toEqual(["error", "success"]);
}

describe("error envelope", () => {
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    test(`AppError ${code} -> ${status} in the envelope`, async () => {
      const res = await testApp.request("GET", `/test/throw/${code}`);
      expect(res.status).toBe(status);
      expectErrorEnvelope(res.json, code);
      expect(res.json.error.details).toEqual({ which: code });
      expect(res.headers.get("content-type")).toContain("application/json");
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
    });
  }

  test("a thrown bug -> 500 INTERNAL_ERROR without stack or SQL, logged with the request id", async () => {
    const res = await testApp.request("GET", "/test/bug");
    expect(res.status).toBe(500);
    expectErrorEnvelope(res.json, "INTERNAL_ERROR");
    expect(res.text).not.toContain("SELECT");
    expect(res.text).not.toContain("hunter2");
    expect(res.text).not.toContain("at ");
    const id = res.headers.get("x-request-id")!;
    const logged = testApp.logs.map((l) => JSON.parse(l)).find((l) => l.msg === "request failed" && l.request_id === id);
    expect(logged).toBeDefined();
    expect(logged.error).toContain("SQLITE_ERROR");
    expect(logged.stack).toContain("http-envelope.test.ts");
  });

  test("unknown route -> 404 NOT_FOUND", async () => {
    const res = await testApp.request("GET", "/nope/really");
    expect(res.status).toBe(404);
    expectErrorEnvelope(res.json, "NOT_FOUND");
    expect(res.json.error.message).toContain("/nope/really");
  });

  test("malformed JSON -> 400 VALIDATION_ERROR", async () => {
    for (const raw of ['{"name": "a"', "{'name': 1}", "nul", '{"a":1}}', "\u0000"]) {
      const res = await testApp.request("POST", "/test/any", { rawBody: raw, headers: { "content-type": "application/json" } });
      expect(res.status).toBe(400);
      expectErrorEnvelope(res.json, "VALIDATION_ERROR");
    }
  });

  test("schema failure -> 400 naming the field, without echoing the value", async () => {
    const res = await testApp.request("POST", "/test/echo", { body: { name: "secret-value-too-long" } });
    expect(res.status).toBe(400);
    expectErrorEnvelope(res.json, "VALIDATION_ERROR");
    expect(res.json.error.details.errors[0].field).toBe("body.name");
    expect(res.text).not.toContain("secret-value-too-long");
  });

  test("deeply nested JSON -> 400, not a crash", async () => {
    const roomy = createTestApp();
    roomy.app.use(new Elysia().post("/any", ({ body }) => ok(body ?? null)));
    try {
      for (const deep of ["[".repeat(100_000) + "]".repeat(100_000), '{"a":'.repeat(5000) + "1" + "}".repeat(5000)]) {
        const res = await roomy.request("POST", "/any", { rawBody: deep, headers: { "content-type": "application/json" } });
        expect(res.status).toBe(400);
        expectErrorEnvelope(res.json, "VALIDATION_ERROR");
        expect(res.json.error.message).toContain("nested deeper");
      }
      const fine = await roomy.request("POST", "/any", { rawBody: "[".repeat(50) + "]".repeat(50), headers: { "content-type": "application/json" } });
      expect(fine.status).toBe(200);
    } finally {
      roomy.close();
    }
  });

  test("__proto__ keys are dropped, never reach the prototype", async () => {
    const res = await testApp.request("POST", "/test/any", {
      rawBody: '{"__proto__":{"polluted":true},"a":{"__proto__":{"x":1}},"ok":1}',
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ a: {}, ok: 1 });
    expect(({} as any).polluted).toBeUndefined();
  });

  test("unicode survives the round trip", async () => {
    const res = await testApp.request("POST", "/test/echo", { body: { name: "zoë ✓ 🚀" } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true, data: { name: "zoë ✓ 🚀" }, meta: {} });
  });

  test("declared body over the limit -> 413 PAYLOAD_TOO_LARGE", async () => {
    const res = await testApp.request("POST", "/test/any", { body: { big: "x".repeat(2000) } });
    expect(res.status).toBe(413);
    expectErrorEnvelope(res.json, "PAYLOAD_TOO_LARGE");
    expect(res.json.error.details.limit_bytes).toBe(1024);
  });

  test("streamed body without Content-Length over the limit -> 413", async () => {
    const chunk = new TextEncoder().encode('{"a":"' + "y".repeat(600));
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(chunk);
        controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await testApp.request("POST", "/test/any", { rawBody: stream, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    expectErrorEnvelope(res.json, "PAYLOAD_TOO_LARGE");
  });

  test("every answer carries X-Request-Id; a safe incoming id is kept", async () => {
    const res = await testApp.request("GET", "/healthz", { headers: { "x-request-id": "trace-123" } });
    expect(res.headers.get("x-request-id")).toBe("trace-123");
    const unsafe = await testApp.request("GET", "/healthz", { headers: { "x-request-id": "bad id\u0001" } });
    expect(unsafe.headers.get("x-request-id")).toMatch(/^req_/);
  });

  test("one access-log line per request with method, path, status and ms", async () => {
    const res = await testApp.request("GET", "/healthz?token=should-not-be-logged");
    const id = res.headers.get("x-request-id");
    await Bun.sleep(20); // the line is written after the response is sent
    const lines = testApp.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "http" && l.request_id === id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: "GET", path: "/healthz", status: 200 });
    expect(typeof lines[0].ms).toBe("number");
    expect(testApp.logs.join("\n")).not.toContain("should-not-be-logged");
  });
});
