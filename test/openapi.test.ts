import { afterAll, expect, test } from "bun:test";
import { createTestApp } from "./helpers/app";

const testApp = createTestApp();
afterAll(() => testApp.close());

test("/swagger/json is an OpenAPI 3 document of the routes, tagged by domain", async () => {
  const res = await testApp.request("GET", "/swagger/json");
  expect(res.status).toBe(200);
  expect(res.json.openapi).toMatch(/^3\./);
  expect(res.json.paths["/healthz"].get.tags).toEqual(["system"]);
  expect(res.json.tags.map((t: { name: string }) => t.name)).toContain("system");
  expect(res.json.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  expect(Object.keys(res.json.paths).filter((p) => p.startsWith("/swagger"))).toEqual([]);
  expect(res.json.paths["/api/v1/keys"].post.tags).toEqual(["keys"]);
  expect(res.json.paths["/api/v1/keys"].post.security).toEqual([{ bearer: [] }]);
  expect(res.json.paths["/api/v1/keys"].post.requestBody.content["application/json"].schema.properties.name).toBeDefined();
  expect(res.json.paths["/api/v1/auth/login"].post.tags).toEqual(["auth"]);
  expect(res.json.paths["/api/v1/users/{id}"].patch.tags).toEqual(["users"]);
  expect(res.json.paths["/api/v1/accounts"].get.tags).toEqual(["accounts"]);
});

test("/swagger is Swagger UI served entirely from this instance (works offline)", async () => {
  const page = await testApp.request("GET", "/swagger");
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(page.text).toContain('url: "/swagger/json"');
  expect(page.text).not.toMatch(/https?:\/\//);
  const js = await testApp.request("GET", "/swagger/assets/swagger-ui-bundle.js");
  expect(js.status).toBe(200);
  expect(js.text).toContain("SwaggerUIBundle");
  const css = await testApp.request("GET", "/swagger/assets/swagger-ui.css");
  expect(css.status).toBe(200);
  expect(css.headers.get("content-type")).toContain("text/css");
  const missing = await testApp.request("GET", "/swagger/assets/..%2Fpackage.json");
  expect(missing.status).toBe(404);
  expect(missing.json.error.code).toBe("NOT_FOUND");
});
