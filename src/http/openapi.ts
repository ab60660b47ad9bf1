/**
 * @module http/openapi
 * Swagger UI at `/swagger` and the OpenAPI 3 document at `/swagger/json`, generated from the
 * TypeBox schemas of every route. Each domain tags its routes with its own name.
 */
import { swagger } from "@elysiajs/swagger";
import { VERSION } from "../version";

/** One tag per domain, in the order Swagger UI lists them. */
export const OPENAPI_TAGS = [{ name: "system", description: "Health and instance information" }];

export function openapi() {
  return swagger({
    path: "/swagger",
    specPath: "/swagger/json",
    provider: "swagger-ui",
    exclude: ["/swagger", "/swagger/json"],
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
  });
}
