import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { ADMIN, createIdentityTestApp, type TestApp } from "../../../test/helpers/app";
import { BUILTIN_ACTIONS } from "../../actions";
import { httpCore } from "../../http/core";
import { t } from "../../plugin-api";
import { createPluginRegistry } from "./registry";
import { pluginsRoutes } from "./routes";

let testApp: TestApp;
let app: { handle(request: Request): Promise<Response> };
let token: string;

beforeAll(async () => {
  testApp = await createIdentityTestApp();
  const registry = createPluginRegistry();
  for (const def of BUILTIN_ACTIONS) registry.register(def, "builtin");
  registry.register(
    { type: "sms_like", title: "SMS-like", description: "From a file", config: t.Object({ to: t.String({ maxLength: 32 }), n: t.Optional(t.Integer()) }), run: () => null },
    "/srv/switchboard/plugins/sms_like.ts",
  );
  // Mounted here rather than in app.ts, which wires it in on its own schedule.
  app = new Elysia()
    .use(httpCore({ logger: testApp.logger, bodyLimitBytes: testApp.config.bodyLimitBytes }))
    .use(pluginsRoutes(registry, testApp.services.access, testApp.services.clientIps));
  token = await testApp.login(ADMIN.email, ADMIN.password);
});
afterAll(() => testApp.close());

const get = (headers: Record<string, string> = {}) => app.handle(new Request("http://localhost/api/v1/plugins", { headers }));

describe("GET /api/v1/plugins", () => {
  test("lists every type with its plain JSON config schema; file paths stay on the server", async () => {
    const res = await get({ authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.success).toBe(true);
    expect(body.data.map((p: { type: string }) => p.type)).toEqual([...BUILTIN_ACTIONS.map((a) => a.type), "sms_like"].sort());
    const byType = (type: string) => body.data.find((p: { type: string }) => p.type === type);
    expect(byType("sms_like")).toEqual({
      type: "sms_like",
      title: "SMS-like",
      description: "From a file",
      source: "plugin",
      config_schema: {
        type: "object",
        properties: { to: { type: "string", maxLength: 32 }, n: { type: "integer" } },
        required: ["to"],
      },
    });
    expect(byType("transform").source).toBe("builtin");
    expect(JSON.stringify(body)).not.toContain("/srv/switchboard");
  });

  test("without a token: 401 in the envelope", async () => {
    const res = await get();
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("UNAUTHORIZED");
  });
});
