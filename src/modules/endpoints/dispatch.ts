/**
 * @module modules/endpoints/dispatch
 * `ANY /api/v1/x/:slug/*`: runs a custom endpoint in exactly the order of DESIGN.md:
 * match (404/405) -> params -> auth (401) -> signature (401) -> IP allowlist (403) ->
 * rate limit (429) -> condition (403) -> body_schema (400) -> credits (402) -> actions -> response.
 * Nothing after a failing step runs. Every call gets X-Execution-Id; every call that reached an
 * endpoint and got past authentication is recorded (per its history policy) off the request path.
 */
import type { Server } from "bun";
import { AppError, badRequest, forbidden, methodNotAllowed, notFound } from "../../http/errors";
import { bodyKind, decodeBody, decodeUtf8, mayHaveBody, readBodyBytes } from "../../http/body";
import { NO_RATE_LIMIT_HEADERS } from "../../http/rate-limit";
import { writeAccessLine } from "../../http/core";
import { errorJson } from "../../http/envelope";
import type { ClientIpResolver } from "../../http/client-ip";
import { isoNow } from "../../clock";
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
import { defaultAnswer, JSON_HEADERS, toResponse, type EndpointAnswer } from "./respond";
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
  /**
   * The listening server, asked for the socket's peer address only when needed (a call refused
   * earlier never does); absent in-process. Passed as it is: a closure would be one more object per call.
   */
  server?: Pick<Server<unknown>, "requestIP"> | null;
  /**
   * The caller's own X-Request-Id. Without it, a call from the native route (`access` given) gets
   * `req_` + the random part of its execution id: one id made per call, not two, and the two
   * headers of an answer name each other. The framework route sets the header itself.
   */
  requestId?: string;
  /**
   * Given by the native route, which has no framework hook to log the call: the dispatcher then
   * writes the access line itself as it answers, so the route hands back its answer untouched
   * (no promise of its own on the way).
   */
  access?: { path: string; start: number };
}

/** The request path's segments, %-escapes decoded; a 400 when they cannot be. */
function segmentsOf(rest: string): string[] {
  const segments = requestSegments(rest);
  if (!segments) throw badRequest("Malformed request path: a bad %-escape, or more than 32 segments");
  return segments;
}

const IDEMPOTENT_METHODS = new Set(["POST", "PUT", "PATCH"]);
const MAX_IDEMPOTENCY_KEY = 255;

type DispatchAccount = NonNullable<ReturnType<AccountsService["dispatchInfo"]>>;

/** One call as it goes: the answer's extra headers and what its execution record needs. */
interface Call {
  readonly input: DispatchInput;
  readonly executionId: string;
  /** Sent back as X-Request-Id and written in the access line; absent on the framework route. */
  readonly requestId: string | undefined;
  readonly startedAt: number;
  readonly t0: number;
  /** X-Execution-Id, X-Request-Id, CORS and rate-limit headers, added to whatever is answered. */
  readonly headers: Record<string, string>;
  endpoint?: CompiledEndpoint;
  identity?: Identity;
  token?: string;
  ip?: string;
  steps: StepRecord[];
  error?: { code: string; message: string };
}

/** A call let in by steps 1-6, which need no body and nothing asynchronous. */
interface Admitted {
  account: DispatchAccount;
  endpoint: CompiledEndpoint;
  params: Record<string, string>;
  identity: Identity | undefined;
  ip: string | undefined;
}

// What conditions and templates see as `auth` on a call without a token.
const NO_CALLER = Object.freeze({});

export function createDispatcher(deps: DispatchDeps) {
  const { endpoints, store, accounts, access, clientIps, recorder, logger } = deps;
  // One function for every run (the run passes its account): not a closure per call.
  const recordsFor = (accountId: string, renderLiteral: (raw: string) => unknown) => createRecordsCapability(deps.records, accountId, renderLiteral);

  /**
   * A refusal in steps 1-6 (bad keys, unknown paths, limits) is answered synchronously, with no
   * promise on the way: a flood of them must stay cheap. Only a call that was let in goes async.
   */
  return function dispatch(input: DispatchInput): Response | Promise<Response> {
    // One clock reading for both: the history finds an execution by the time in its id (executions/store.ts).
    const startedAt = Date.now();
    const executionId = newId("exe", startedAt);
    const requestId = input.requestId ?? (input.access ? `req${executionId.slice(3)}` : undefined);
    const headers: Record<string, string> = requestId === undefined ? { "x-execution-id": executionId } : { "x-execution-id": executionId, "x-request-id": requestId };
    const call: Call = { input, executionId, requestId, startedAt, t0: performance.now(), headers, steps: [] };
    let admitted: Admitted | EndpointAnswer;
    try {
      admitted = admit(call);
    } catch (error) {
      return finish(call, failure(call, error));
    }
    return "status" in admitted ? finish(call, admitted) : execute(call, admitted);
  };

  /**
   * Steps 1-6: match, params, auth, signature, IP allowlist, rate limit (or a CORS preflight).
   * Its refusals are returned as answers, not thrown: unwinding a throw cost as much as the rest of
   * a refused call, and floods of unknown paths, bad keys or calls over the limit must stay cheap.
   * The helpers that still throw guard rarer cases (a malformed path, a key's scope or address).
   */
  function admit(call: Call): Admitted | EndpointAnswer {
    const { request, slug, rest } = call.input;
    const account = accounts.dispatchInfo(slug);
    if (!account) return failure(call, notFound(`No endpoint at ${request.method} /${rest}`));
    const table = endpoints.routes(account.id);

    if (request.method === "OPTIONS") {
      const routes = table.routesAt(segmentsOf(rest));
      if (routes.size === 0) return failure(call, notFound(`No endpoint at /${rest}`));
      return preflight([...routes.values()].map((entry) => entry.def), request);
    }

    // 1. match: a path of literal segments is one lookup; anything else walks the trie.
    const match = (rest.includes("%") ? undefined : table.matchLiteral(request.method, rest)) ?? table.match(request.method, segmentsOf(rest));
    if (match.kind === "not_found") return failure(call, notFound(`No endpoint at ${request.method} /${rest}`));
    if (match.kind === "method_not_allowed") return failure(call, methodNotAllowed(match.allow));
    const entry = match.value;
    if (!entry.def.enabled) return failure(call, notFound(`No endpoint at ${request.method} /${rest}`));
    if ("broken" in entry) return failure(call, new AppError("INTERNAL_ERROR", "This endpoint cannot run: its definition refers to something no longer available"));
    const endpoint = entry;
    call.endpoint = endpoint;
    if (endpoint.def.cors) Object.assign(call.headers, corsHeaders(endpoint.def.cors, request.headers.get("origin")));
    // 2. params: decoded by the route table (match.params)
    // 3. auth
    const authorization = request.headers.get("authorization");
    let identity: Identity | undefined;
    if (endpoint.def.auth_required || authorization) {
      const token = bearerToken(authorization);
      const checked = access.check(token);
      if (checked instanceof AppError) return failure(call, checked);
      identity = checked;
      // Belonging to the account and the invoke scope are part of authentication: a call refused
      // for either is not recorded, so another account's key never lands in this one's history.
      if (identity.principal.account_id !== account.id) return failure(call, forbidden("This token belongs to another account"));
      access.requireScope(identity, "invoke");
      call.identity = identity;
      call.token = token;
    }
    if (account.active !== 1) return failure(call, forbidden("Account is disabled"));
    // 4. signature: definitions with a signature cannot be saved until credentials exist.
    // 5. IP allowlist
    const ip = clientIps.compute(request, call.input.server?.requestIP(request)?.address);
    call.ip = ip;
    if (identity) access.checkIp(identity, ip);
    // 6. rate limit: every authenticated call counts; anonymous calls count per client address.
    const limited = identity ? access.rate(identity) : access.anonymousRate(`anon:${account.id}:${ip ?? "unknown"}`, account.plan);
    if (limited instanceof AppError) return failure(call, limited);
    if (limited !== NO_RATE_LIMIT_HEADERS) Object.assign(call.headers, limited);
    return { account, endpoint, params: match.params, identity, ip };
  }

  /** Steps 7-11: body, condition, body_schema, credits, actions, response. */
  async function execute(call: Call, { account, endpoint, params, identity, ip }: Admitted): Promise<Response> {
    const { request, rest } = call.input;
    let claim: ReturnType<typeof claimIdempotency>;
    let answer: EndpointAnswer;
    try {
      const limit = Math.min(endpoint.def.body_limit_bytes ?? deps.bodyLimitBytes, deps.bodyLimitBytes);
      // Read as text whatever its type: an Idempotency-Key (and later a signature) hashes the exact text.
      const raw = mayHaveBody(request) ? decodeUtf8(await readBody(request, limit)) : undefined;
      const body = raw === undefined ? undefined : decodeBody(raw, bodyKind(request.headers.get("content-type") ?? ""));
      const info = requestInfo(request, `/${rest}`, params, body, ip);
      // The principal is frozen, so conditions and templates read it as it is.
      const auth = (identity ? identity.principal : NO_CALLER) as Record<string, unknown>;
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
      claim = claimIdempotency(endpoint, identity, ip, request, rest, raw);
      if (claim?.replay) return finish(call, { ...claim.replay, headers: { ...claim.replay.headers, "idempotent-replayed": "true" } });
      // 9. credits: spent only by a call that will run
      if (account.credits !== null) accounts.spendCredits(account.id, endpoint.def.cost);
      // 10. actions
      const data: TemplateData = { request: info as unknown as Record<string, unknown>, auth, actions: [], now: isoNow(), credentials: {} };
      let outcome = runPipeline({
        actions: endpoint.actions,
        request: info,
        auth: identity ? identity.principal : null,
        data,
        executionId: call.executionId,
        timeoutMs: endpoint.def.timeout_ms,
        client: request,
        log: logger,
        http: deps.createHttp,
        accountId: account.id,
        records: recordsFor,
      });
      // A pipeline of synchronous actions answers at once; awaiting it anyway would cost a turn.
      if (outcome instanceof Promise) outcome = await outcome;
      call.steps = outcome.steps;
      if (outcome.status === "failed") {
        const failed = outcome.error!;
        call.error = { code: failed.code, message: failed.message };
        throw new AppError(failed.code as never, failed.message, { details: failed.details });
      }
      // 11. response
      const lastResult = outcome.results.at(-1);
      answer = endpoint.response ? endpoint.response(outcome.data, lastResult) : defaultAnswer(lastResult);
      if (claim) {
        if (answer.status < 500) store.completeIdempotencyKey(endpoint.id, claim.caller, claim.key, answer);
        else store.releaseIdempotencyKey(endpoint.id, claim.caller, claim.key);
      }
    } catch (error) {
      if (claim) store.releaseIdempotencyKey(endpoint.id, claim.caller, claim.key);
      answer = failure(call, error);
    }
    return finish(call, answer);
  }

  /**
   * The body's bytes. A read that fails without our own 413 is the client's doing (it hung up
   * mid-body, or sent broken chunked framing): a 400, not a logged internal error.
   */
  async function readBody(request: Request, limit: number): Promise<Uint8Array> {
    try {
      return await readBodyBytes(request, limit);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw badRequest("The request body could not be read: the connection closed or its framing is malformed");
    }
  }

  /** The error answer for whatever a step threw; anything but an AppError is a logged 500. */
  function failure(call: Call, error: unknown): EndpointAnswer {
    const appError = error instanceof AppError ? error : new AppError("INTERNAL_ERROR", "Internal error", { cause: error });
    if (!(error instanceof AppError)) logger.error("dispatch failed", { execution_id: call.executionId, error: String((error as Error)?.stack ?? error) });
    if (appError.headers) Object.assign(call.headers, appError.headers);
    call.error ??= { code: appError.code, message: appError.message };
    return { status: appError.status, headers: JSON_HEADERS, body: errorJson(appError) };
  }

  /**
   * Turns the answer into a Response, records the call (per the endpoint's history policy) with
   * the status actually sent, and writes the access line. It never throws: nothing may escape to
   * the runtime, which would answer a bare text 500.
   */
  function finish(call: Call, answer: EndpointAnswer): Response {
    let response: Response;
    try {
      response = toResponse(answer, call.headers);
    } catch (error) {
      // Answers are built to be sendable (statuses, header values); this is a bug of ours.
      answer = failure(call, error);
      const headers: Record<string, string> = { "content-type": "application/json", "x-execution-id": call.executionId };
      if (call.requestId) headers["x-request-id"] = call.requestId;
      response = new Response(answer.body, { status: answer.status, headers });
    }
    // A call refused at authentication is not recorded: otherwise a flood of made-up keys becomes
    // a flood of database writes. Public endpoints record every call.
    const endpoint = call.endpoint;
    if (endpoint && !(endpoint.def.auth_required && !call.identity)) record(call, endpoint, answer.status);
    const { access, request } = call.input;
    if (access) writeAccessLine(logger, request.method, access.path, answer.status, access.start, call.requestId);
    return response;
  }

  function claimIdempotency(endpoint: CompiledEndpoint, identity: Identity | undefined, ip: string | undefined, request: Request, rest: string, raw: string | undefined) {
    const key = request.headers.get("idempotency-key");
    if (key === null || !IDEMPOTENT_METHODS.has(request.method)) return undefined;
    if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY) throw badRequest(`Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`);
    const caller = identity ? (identity.principal.key_id ?? identity.principal.user_id) : `ip:${ip ?? "unknown"}`;
    const hash = sha256Hex(`${request.method} /${rest}\n${raw ?? ""}`);
    const claimed = store.claimIdempotencyKey(endpoint.id, caller, key, hash, Date.now(), deps.idempotencyTtlMs);
    if (claimed.kind === "mismatch") throw new AppError("CONFLICT", "This Idempotency-Key was used with a different request");
    if (claimed.kind === "in_progress") throw new AppError("CONFLICT", "A request with this Idempotency-Key is still running; retry later");
    if (claimed.kind === "replay") return { caller, key, replay: claimed.response };
    return { caller, key, replay: undefined };
  }

  function record(call: Call, endpoint: CompiledEndpoint, httpStatus: number) {
    const failed = httpStatus >= 400;
    const policy = endpoint.def.history;
    if (policy === "none" || (policy === "errors" && !failed)) return;
    const { request, rest } = call.input;
    recorder.record(
      {
        id: call.executionId,
        account_id: endpoint.accountId,
        endpoint_id: endpoint.id,
        kind: "endpoint",
        status: failed ? "failed" : "completed",
        http_status: httpStatus,
        // Absent values stay undefined rather than being spread in: one object per record, not four.
        error_code: call.error?.code,
        error_message: call.error?.message,
        method: request.method,
        path: `/${rest}`,
        client_ip: call.ip || undefined,
        key_prefix: call.identity?.principal.key_id && call.token ? call.token.slice(0, 9) : undefined,
        started_at: call.startedAt,
        duration_ms: Math.round((performance.now() - call.t0) * 1000) / 1000,
        steps: call.steps,
      },
      call.token ? [call.token] : [],
    );
  }
}

