/**
 * @module http/openapi
 * The OpenAPI 3 document at `/swagger/json`, generated from the TypeBox schemas of every route,
 * and Swagger UI at `/swagger`. The UI's script and stylesheet are embedded in the binary and
 * served from `/swagger/assets/`, so API exploration works on a LAN with no internet access
 * (the plugin's own page would load them from a public CDN).
 */
import { swagger } from "@elysiajs/swagger";
import { Elysia } from "elysia";
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { VERSION } from "../version";
import { notFound } from "./errors";

/** One tag per domain, in the order Swagger UI lists them. */
export const OPENAPI_TAGS = [
  { name: "system", description: "Health and instance information" },
  { name: "auth", description: "Sign in and out; who am I" },
  { name: "accounts", description: "The caller's account; instance admins manage all accounts" },
  { name: "users", description: "Users of the account, for owners and admins" },
  { name: "keys", description: "API keys: shown once, stored hashed, revocable at once" },
  { name: "endpoints", description: "Custom endpoints: a path, a method and a pipeline of actions" },
  { name: "executions", description: "History of every endpoint invocation" },
  { name: "plugins", description: "Action types and their config schemas" },
  { name: "collections", description: "Collections: named sets of records, with typed fields and indexes" },
  { name: "records", description: "Records of a collection: filter, sort, page, aggregate" },
];

const UI_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>Switchboard API</title>
  <link rel="stylesheet" href="/swagger/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/swagger/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: "/swagger/json", dom_id: "#swagger-ui", persistAuthorization: true, deepLinking: true });
  </script>
</body>
</html>`;

const ASSETS: Record<string, { path: string; type: string }> = {
  "swagger-ui-bundle.js": { path: swaggerBundle, type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { path: swaggerCss, type: "text/css; charset=utf-8" },
};

export function openapi() {
  return new Elysia({ name: "http.openapi" })
    .use(
      swagger({
        // The plugin's CDN-backed page is parked on an unused path; ours is served at /swagger.
        path: "/swagger/cdn",
        specPath: "/swagger/json",
        exclude: ["/swagger", "/swagger/cdn", "/swagger/json", /^\/swagger\/assets\//],
        documentation: {
          info: {
            title: "Switchboard API",
            version: VERSION,
            description:
              "Management API of a Switchboard instance. Answers use the envelope " +
              '`{"success":true,"data":...,"meta":{...}}` or `{"success":false,"error":{"code","message","details"}}`.',
          },
          tags: OPENAPI_TAGS,
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer", description: "A session token or an API key (sb_...)" },
            },
          },
        },
      }),
    )
    .get("/swagger", () => new Response(UI_PAGE, { headers: { "content-type": "text/html; charset=utf-8" } }), {
      detail: { hide: true },
    })
    .get(
      "/swagger/assets/:file",
      ({ params, set }) => {
        const asset = ASSETS[params.file];
        if (!asset) throw notFound(`No asset ${params.file}`);
        set.headers["content-type"] = asset.type;
        set.headers["cache-control"] = `public, max-age=86400`;
        return Bun.file(asset.path);
      },
      { detail: { hide: true } },
    );
}
