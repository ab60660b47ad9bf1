// The example plugin plugins/sms_notify.ts, loaded through the real loader and run against a real
// local SMS gateway with the real outbound HTTP capability.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createHttpCapability } from "../../engine/outbound-http";
import { createMemoryLogger } from "../../log";
import { ActionError, type ActionContext } from "../../plugin-api";
import { checkActionConfig } from "./config-check";
import { loadPlugins } from "./loader";
import { createPluginRegistry, type RegisteredPlugin } from "./registry";
import { registerPluginModule } from "./virtual-module";

const PLUGINS_DIR = join(import.meta.dir, "..", "..", "..", "plugins");

let sms: RegisteredPlugin;
let gateway: ReturnType<typeof Bun.serve>;
const received: { headers: Record<string, string>; body: unknown }[] = [];

beforeAll(async () => {
  registerPluginModule();
  const registry = createPluginRegistry();
  const report = await loadPlugins(registry, [PLUGINS_DIR], createMemoryLogger());
  expect(report.failed).toEqual([]);
  sms = registry.get("sms_notify")!;
  gateway = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const body = await req.json();
      received.push({ headers: Object.fromEntries(req.headers), body });
      if (new URL(req.url).pathname === "/down") return Response.json({ error: "no credit" }, { status: 503 });
      return Response.json({ id: "msg_1", queued: true }, { status: 202 });
    },
  });
});
afterAll(() => gateway.stop(true));

function context(allowPrivate = true) {
  const log = createMemoryLogger();
  const ctx = {
    request: { method: "POST", path: "/x", params: {}, query: {}, headers: {}, body: null },
    auth: null,
    results: [],
    signal: new AbortController().signal,
    executionId: "exe_test",
    depth: 1,
    log,
    http: createHttpCapability({ allowPrivate, signal: new AbortController().signal }),
    records: {} as ActionContext["records"], // sms_notify stores nothing
  } satisfies ActionContext;
  return { ctx, log };
}

const url = (path = "/send") => `http://127.0.0.1:${gateway.port}${path}`;

describe("sms_notify", () => {
  test("posts {to, message, sender} with the auth header and returns the gateway's answer", async () => {
    const { ctx, log } = context();
    const config = { gateway_url: url(), to: "+1 (555) 010-0199", message: "Your code is 4242", sender: "Shop", auth_header: "Bearer tok" };
    expect(checkActionConfig(sms, config)).toEqual([]);
    const result = await sms.definition.run(ctx, config);
    expect(result).toEqual({ status: 202, gateway_response: { id: "msg_1", queued: true } });
    const last = received.at(-1)!;
    expect(last.body).toEqual({ to: "+15550100199", message: "Your code is 4242", sender: "Shop" });
    expect(last.headers.authorization).toBe("Bearer tok");
    expect(last.headers["content-type"]).toBe("application/json");
    expect(log.lines.join("\n")).not.toContain("5550100199"); // the number is not logged
  });

  test("without sender or auth_header neither is sent", async () => {
    await sms.definition.run(context().ctx, { gateway_url: url(), to: "+15550100199", message: "hi" });
    const last = received.at(-1)!;
    expect(last.body).toEqual({ to: "+15550100199", message: "hi" });
    expect(last.headers.authorization).toBeUndefined();
  });

  test("a non-2xx answer fails the step with UPSTREAM_ERROR and the gateway's reason", async () => {
    let error: unknown;
    try {
      await sms.definition.run(context().ctx, { gateway_url: url("/down"), to: "+15550100199", message: "hi" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).code).toBe("UPSTREAM_ERROR");
    expect((error as ActionError).details).toEqual({ status: 503, gateway_response: { error: "no credit" } });
  });

  test("a private gateway is refused unless the instance allows it", async () => {
    let error: unknown;
    try {
      await sms.definition.run(context(false).ctx, { gateway_url: url(), to: "+15550100199", message: "hi" });
    } catch (e) {
      error = e;
    }
    expect((error as ActionError).code).toBe("FORBIDDEN");
  });

  const configs: [string, Record<string, unknown>, string[]][] = [
    ["templates for every field", { gateway_url: "{{credentials.SMS_URL}}", to: "{{request.body.phone}}", message: "Hi {{request.body.name}}" }, []],
    ["a message over 1600 characters", { gateway_url: "https://sms.example.com/send", to: "+15550100199", message: "x".repeat(1601) }, ["config.message"]],
    ["a letter in the number", { gateway_url: "https://sms.example.com/send", to: "call me", message: "hi" }, ["config.to"]],
    ["not a URL", { gateway_url: "sms gateway", to: "+15550100199", message: "hi" }, ["config.gateway_url"]],
    ["an unknown field", { gateway_url: "https://sms.example.com/send", to: "+15550100199", message: "hi", priority: 1 }, ["config.priority"]],
    ["message missing", { gateway_url: "https://sms.example.com/send", to: "+15550100199" }, ["config.message"]],
  ];
  for (const [name, config, paths] of configs) {
    test(`save-time check: ${name}`, () => expect(checkActionConfig(sms, config).map((i) => i.path)).toEqual(paths));
  }
});
