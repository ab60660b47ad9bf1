/**
 * @module modules/endpoints/dispatch
 * `ANY /api/v1/x/:slug/*`: runs a custom endpoint in exactly the order of DESIGN.md:
 * match (404/405) -> params -> auth (401) -> signature (401) -> IP allowlist (403) ->
 * rate limit (429) -> condition (403) -> body_schema (400) -> credits (402) -> actions -> response.
 * Nothing after a failing step runs. Every call gets X-Execution-Id; every call that reached an
 * endpoint and got past authentication is recorded (per its history policy) off the request path.
 */
import { AppError, badRequest, forbidden, methodNotAllowed, notFound } from "../../http/errors";
import { parseBody, rawBody } from "../../http/body";
import { errorBody } from "../../http/envelope";
import type { ClientIpResolver } from "../../http/client-ip";
import { newId } from "../../ids";
import type { Logger } from "../../log";
import type { HttpCapability } from "../../plugin-api";
import { runPipeline } from "../../engine/pipeline";
import type { StepRecord, TemplateData } from "../../engine/types";
import { sha256Hex } from "../../secrets";
import type { AccountsService } from "../accounts/service";
import { bearerToken, type Access } from "../auth/access";
import type { Identity } from "../auth/identity";
import type { RecordsService } from "../collections/records-service";
import type { ExecutionRecorder } from "../executions/recorder";
import { createRecordsCapability } from "./records-capability";
import type { CompiledEndpoint } from "./compile";
import { corsHeaders, preflight } from "./cors";
import { requestSegments } from "./path";
import { requestInfo } from "./request-info";
import { buildAnswer, toResponse, type EndpointAnswer } from "./respond";
import type { EndpointsService } from "./service";
import type { EndpointsStore } from "./store";

export interface DispatchDeps {
  endpoints: EndpointsService;
  store: EndpointsStore;
  accounts: AccountsService;
  access: Access;
  clientIps: ClientIpResolver;
  recorder: ExecutionRecorder;
  records: RecordsService;
  createHttp: (signal: AbortSignal) => HttpCapability;
  logger: Logger;
  bodyLimitBytes: number;
  idempotencyTtlMs: number;
}

export interface DispatchInput {
  request: Request;
  slug: string;
  rest: string;
  /** The socket's peer address, asked for only when needed (a call refused earlier never does). */
  socketIp: () => string | undefined;
  /** Sent back as X-Request-Id (the framework route sets it itself). */
  requestId?: string;
}

const IDEMPOTENT_METHODS = new Set(["POST", "PUT", "PATCH"]);
const MAX_IDEMPOTENCY_KEY = 255;

/** What a dispatch produced, for the execution record. */
interface Trace {
  endpoint?: CompiledEndpoint;
  identity?: Identity;
  token?: string;
  ip?: string;
  steps: StepRecord[];
  error?: { code: string; message: string };
}

export function createDispatcher(deps: DispatchDeps) {
  const { endpoints, store, accounts, access, clientIps, recorder, logger } = deps;

  return async function dispatch({ request, slug, rest, socketIp, requestId }: DispatchInput): Promise<Response> {
    const executionId = newId("exe");
    const startedAt = Date.now();
    const t0 = performance.now();
    const headers: Record<string, string> = { "x-execution-id": executionId };
    if (requestId) headers["x-request-id"] = requestId;
    const trace: Trace = { steps: [] };
    let answer: EndpointAnswer;

    try {
      answer = await run();
    } catch (error) {
      const appError = error instanceof AppError ? error : new AppError("INTERNAL_ERROR", "Internal error", { cause: error });
      if (!(error instanceof AppError)) logger.error("dispatch failed", { execution_id: executionId, error: String((error as Error)?.stack ?? error) });
      Object.assign(headers, appError.headers);
      trace.error ??= { code: appError.code, message: appError.message };
      answer = { status: appError.status, headers: { "content-type": "application/json" }, body: JSON.stringify(errorBody(appError)) };
    }
    // A call refused at authentication is not recorded: otherwise a flood of made-up keys becomes
    // a flood of database writes. Public endpoints record every call.
    const authRefused = trace.endpoint?.def.auth_required && !trace.identity;
    if (trace.endpoint && !authRefused) record(trace, answer.status, request, rest, executionId, startedAt, performance.now() - t0);
    return toResponse(answer, headers);

    async function run(): Promise<EndpointAnswer> {
      const account = accounts.dispatchInfo(slug);
      const segments = requestSegments(rest);
      if (!account) throw notFound(`No endpoint at ${request.method} /${rest}`);
      if (!segments) throw badRequest("Malformed request path: a bad %-escape, or more than 32 segments");
      const table = endpoints.routes(account.id);

      if (request.method === "OPTIONS") {
        const routes = table.routesAt(segments);
        if (routes.size === 0) throw notFound(`No endpoint at /${rest}`);
        return preflight([...routes.values()].map((entry) => entry.def), request);
      }

      // 1. match
      const match = table.match(request.method, segments);
      if (match.kind === "not_found") throw notFound(`No endpoint at ${request.method} /${rest}`);
      if (match.kind === "method_not_allowed") throw methodNotAllowed(match.allow);
      const entry = match.value;
      if (!entry.def.enabled) throw notFound(`No endpoint at ${request.method} /${rest}`);
      if ("broken" in entry) throw new AppError("INTERNAL_ERROR", "This endpoint cannot run: its definition refers to something no longer available");
      const endpoint = entry;
      trace.endpoint = endpoint;
      Object.assign(headers, corsHeaders(endpoint.def.cors, request.headers.get("origin")));
      // 2. params (decoded by the route table)
      const params = match.params;

      // 3. auth
      const authorization = request.headers.get("authorization");
      let identity: Identity | undefined;
      if (endpoint.def.auth_required || authorization) {
        identity = access.authenticate(authorization);
        trace.identity = identity;
        trace.token = bearerToken(authorization);
        if (identity.principal.account_id !== account.id) throw forbidden("This token belongs to another account");
        access.requireScope(identity, "invoke");
      }
      if (account.active !== 1) throw forbidden("Account is disabled");
      // 4. signature: definitions with a signature cannot be saved until credentials exist.
      // 5. IP allowlist
      const ip = clientIps.resolve(request, socketIp());
      trace.ip = ip;
      if (identity) access.checkIp(identity, ip);
      // 6. rate limit: every authenticated call counts; anonymous calls count per client address.
      Object.assign(headers, identity ? access.checkRate(identity) : access.checkAnonymousRate(`anon:${account.id}:${ip ?? "unknown"}`, account.plan));

      const limit = Math.min(endpoint.def.body_limit_bytes ?? deps.bodyLimitBytes, deps.bodyLimitBytes);
      const body = request.body ? await parseBody(request, request.headers.get("content-type") ?? "", limit, { readAnyType: true }) : undefined;
      const info = requestInfo(request, `/${rest}`, params, body, ip);
      const auth = identity ? { ...identity.principal } : {};
      // 7. condition
      if (endpoint.condition && !endpoint.condition.evaluate({ request: info, auth, record: params, now: Date.now() })) {
        throw forbidden("The endpoint's condition does not allow this call");
      }
      // 8. body_schema
      if (endpoint.validateBody) {
        const problems = endpoint.validateBody(body);
        if (problems.length > 0) {
          throw badRequest(`Request body ${problems[0]!.path} ${problems[0]!.message}`, { on: "body", errors: problems });
        }
      }
      // Idempotency-Key: a repeat gets the first answer without running (or paying) again.
      const idempotency = claimIdempotency(endpoint, identity, ip, request, rest);
      if (idempotency?.replay) return { ...idempotency.replay, headers: { ...idempotency.replay.headers, "idempotent-replayed": "true" } };
      try {
        // 9. credits: spent only by a call that will run
        if (account.credits !== null) accounts.spendCredits(account.id, endpoint.def.cost);
        // 10. actions
        const data: TemplateData = { request: info as unknown as Record<string, unknown>, auth, actions: [], now: new Date().toISOString(), credentials: {} };
        const outcome = await runPipeline({
          actions: endpoint.actions,
          request: info,
          auth: identity ? identity.principal : null,
          data,
          executionId,
          timeoutMs: endpoint.def.timeout_ms,
          signal: request.signal,
          log: logger,
          http: deps.createHttp,
          records: (renderLiteral) => createRecordsCapability(deps.records, account.id, renderLiteral),
        });
        trace.steps = outcome.steps;
        if (outcome.status === "failed") {
          const failure = outcome.error!;
          trace.error = { code: failure.code, message: failure.message };
          throw new AppError(failure.code as never, failure.message, { details: failure.details });
        }
        // 11. response
        const answer = buildAnswer(endpoint.response, outcome.data, outcome.results.at(-1));
        if (idempotency) {
          if (answer.status < 500) store.completeIdempotencyKey(endpoint.id, idempotency.caller, idempotency.key, answer);
          else store.releaseIdempotencyKey(endpoint.id, idempotency.caller, idempotency.key);
        }
        return answer;
      } catch (error) {
        if (idempotency) store.releaseIdempotencyKey(endpoint.id, idempotency.caller, idempotency.key);
        throw error;
      }
    }
  };

  function claimIdempotency(endpoint: CompiledEndpoint, identity: Identity | undefined, ip: string | undefined, request: Request, rest: string) {
    const key = request.headers.get("idempotency-key");
    if (key === null || !IDEMPOTENT_METHODS.has(request.method)) return undefined;
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY) throw badRequest(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`);
    const caller = identity ? (identity.principal.key_id ?? identity.principal.user_id) : `ip:${ip ?? "unknown"}`;
    const hash = sha256Hex(`${request.method} /${rest}\n${rawBody(request) ?? ""}`);
    const claimed = store.claimIdempotencyKey(endpoint.id, caller, key, hash, Date.now(), deps.idempotencyTtlMs);
    if (claimed.kind === "mismatch") throw new AppError("CONFLICT", "This Idempotency-Key was used with a different request");
    if (claimed.kind === "in_progress") throw new AppError("CONFLICT", "A request with this Idempotency-Key is still running; retry later");
    if (claimed.kind === "replay") return { caller, key, replay: claimed.response };
    return { caller, key, replay: undefined };
  }

  function record(trace: Trace, httpStatus: number, request: Request, rest: string, id: string, startedAt: number, elapsedMs: number) {
    const endpoint = trace.endpoint!;
    const failed = httpStatus >= 400;
    const policy = endpoint.def.history;
    if (policy === "none" || (policy === "errors" && !failed)) return;
    recorder.record(
      {
        id,
        account_id: endpoint.accountId,
        endpoint_id: endpoint.id,
        kind: "endpoint",
        status: failed ? "failed" : "completed",
        http_status: httpStatus,
        ...(trace.error ? { error_code: trace.error.code, error_message: trace.error.message } : {}),
        method: request.method,
        path: `/${rest}`,
        ...(trace.ip ? { client_ip: trace.ip } : {}),
        ...(trace.identity?.principal.key_id && trace.token ? { key_prefix: trace.token.slice(0, 9) } : {}),
        started_at: startedAt,
        duration_ms: Math.round(elapsedMs * 1000) / 1000,
        steps: trace.steps,
      },
      trace.token ? [trace.token] : [],
    );
  }
}

