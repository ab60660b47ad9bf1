/**
 * @module modules/endpoints/cors
 * Per-endpoint CORS: which origins may call it from a browser, and the preflight answer, given
 * without running any pipeline.
 */
import type { EndpointAnswer } from "./respond";
import type { EndpointDefinition } from "./schemas";

type Cors = NonNullable<EndpointDefinition["cors"]>;

export function originAllowed(cors: Cors | null, origin: string | null): boolean {
  return !!cors && !!origin && (cors.origins.includes("*") || cors.origins.includes(origin));
}

/** Headers for an actual (non-preflight) request from an allowed origin. */
export function corsHeaders(cors: Cors | null, origin: string | null): Record<string, string> {
  if (!originAllowed(cors, origin)) return {};
  const wildcard = cors!.origins.includes("*") && !cors!.credentials;
  return {
    "access-control-allow-origin": wildcard ? "*" : origin!,
    ...(cors!.credentials ? { "access-control-allow-credentials": "true" } : {}),
    ...(wildcard ? {} : { vary: "Origin" }),
    "access-control-expose-headers": "X-Execution-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After",
  };
}

/** The preflight answer for the endpoints at one path (by method). */
export function preflight(defs: EndpointDefinition[], request: Request): EndpointAnswer {
  const origin = request.headers.get("origin");
  const wanted = request.headers.get("access-control-request-method")?.toUpperCase() ?? null;
  const allowedMethods: string[] = defs
    .filter((d) => originAllowed(d.cors, origin) && (!d.cors!.methods || d.cors!.methods.includes(d.method)))
    .map((d) => d.method);
  const target = defs.find((d) => d.method === wanted) ?? defs[0]!;
  const allow = ["OPTIONS", ...defs.map((d) => d.method)].join(", ");
  if (allowedMethods.length === 0 || (wanted && !allowedMethods.includes(wanted))) {
    // No CORS headers: the browser refuses the cross-origin call; other clients see the Allow list.
    return { status: 204, headers: { allow }, body: "" };
  }
  const cors = target.cors!;
  const requested = request.headers.get("access-control-request-headers");
  const allowHeaders = cors.headers?.join(", ") ?? requested ?? "Content-Type, Authorization, Idempotency-Key";
  return {
    status: 204,
    headers: {
      allow,
      ...corsHeaders(cors, origin),
      "access-control-allow-methods": allowedMethods.join(", "),
      "access-control-allow-headers": allowHeaders,
      "access-control-max-age": String(cors.max_age ?? 600),
    },
    body: "",
  };
}
