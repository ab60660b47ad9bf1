/**
 * @module modules/endpoints/openapi
 * An OpenAPI 3 document of one account's custom endpoints (paths, params, body_schema, auth),
 * so Swagger UI and client generators can explore and call them.
 */
import { parsePath } from "./path";
import type { EndpointDefinition } from "./schemas";

export function accountOpenApi(slug: string, defs: EndpointDefinition[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of defs.filter((d) => d.enabled)) {
    const parsed = parsePath(def.path);
    if ("error" in parsed) continue;
    const openApiPath = `/api/v1/x/${slug}` + (parsed.segments.length === 0 ? "" : "/" + parsed.segments.map((s) => (s.kind === "param" ? `{${s.name}}` : encodeURIComponent(s.value))).join("/"));
    const operation: Record<string, unknown> = {
      summary: def.name,
      ...(def.description ? { description: def.description } : {}),
      parameters: parsed.segments.flatMap((s) => (s.kind === "param" ? [{ name: s.name, in: "path", required: true, schema: { type: "string" } }] : [])),
      responses: {
        "200": { description: "The endpoint's answer" },
        "400": { description: "Invalid request (body_schema)" },
        "401": { description: "Missing or invalid token" },
        "403": { description: "Condition or IP allowlist refused the call" },
        "429": { description: "Rate limited" },
      },
      ...(def.auth_required ? { security: [{ bearer: [] }] } : { security: [] }),
    };
    if (def.method !== "GET" && def.method !== "DELETE") {
      operation.requestBody = { required: !!def.body_schema, content: { "application/json": { schema: def.body_schema ?? {} } } };
    }
    (paths[openApiPath] ??= {})[def.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.0.3",
    info: { title: `Switchboard endpoints of ${slug}`, version: "1" },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key with the invoke scope" } } },
    paths,
  };
}
