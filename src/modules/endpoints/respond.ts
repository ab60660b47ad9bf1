/**
 * @module modules/endpoints/respond
 * Builds a custom endpoint's answer: its response template (status, body, headers) rendered with
 * the run's data, or 200 with the last action's result as JSON.
 */
import { AppError } from "../../http/errors";
import type { TemplateData } from "../../engine/types";
import { compileTemplate } from "../../templates";

export interface EndpointAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the server itself; a template must not be able to change the framing of the answer.
const RESERVED = new Set(["content-length", "transfer-encoding", "connection", "x-execution-id"]);

/** A response_template compiled once: the answer for a run's data and its last action's result. */
export type CompiledResponse = (data: TemplateData, lastResult: unknown) => EndpointAnswer;

/** The answer of an endpoint without a response_template: 200 with the last result as JSON. */
export function defaultAnswer(lastResult: unknown): EndpointAnswer {
  return json(200, lastResult ?? null, NO_HEADERS);
}

/**
 * Compiles a response_template. The common shape, a literal status (or none) and a body, renders
 * only its body: no rendered wrapper, no status check and no headers object per call. Any other
 * shape (a templated status, headers) renders whole and is checked per call.
 */
export function compileResponse(source: { status?: unknown; body?: unknown; headers?: unknown }): CompiledResponse {
  const status = source.headers === undefined ? literalStatus(source.status) : undefined;
  if (status !== undefined) {
    const body = compileTemplate(source.body);
    return (data, lastResult) => answer(status, body.render(data), NO_HEADERS, lastResult);
  }
  const template = compileTemplate(source);
  return (data, lastResult) => renderedAnswer(template.render(data), lastResult);
}

/** A status written as a number in the template, or none (200); undefined for anything to render. */
function literalStatus(status: unknown): number | undefined {
  if (status === undefined || status === null) return 200;
  return typeof status === "number" && Number.isInteger(status) && status >= 200 && status <= 599 ? status : undefined;
}

function renderedAnswer(value: unknown, lastResult: unknown): EndpointAnswer {
  const rendered = (value ?? {}) as { status?: unknown; body?: unknown; headers?: unknown };
  const status = rendered.status === undefined || rendered.status === null || rendered.status === "" ? 200 : Number(rendered.status);
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new AppError("INTERNAL_ERROR", `response_template.status rendered to ${JSON.stringify(rendered.status)}, not a status code`);
  }
  let headers = NO_HEADERS;
  if (rendered.headers && typeof rendered.headers === "object") {
    headers = {};
    for (const [name, value] of Object.entries(rendered.headers as Record<string, unknown>)) {
      if (!HEADER_NAME.test(name) || RESERVED.has(name.toLowerCase())) continue;
      headers[name.toLowerCase()] = headerValue(String(value ?? ""));
    }
  }
  return answer(status, rendered.body, headers, lastResult);
}

/** A text body goes out as text/plain, anything else as JSON (an absent body: the last result). */
function answer(status: number, body: unknown, headers: Record<string, string>, lastResult: unknown): EndpointAnswer {
  if (typeof body === "string") return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body };
  return json(status, body === undefined ? lastResult ?? null : body, headers);
}

const SENDABLE = /^[\t\x20-\x7e]*$/;

/**
 * A rendered value as HTTP can carry it. Control characters (CR/LF above all: a request value must
 * never split a header) become spaces. Anything beyond ASCII is percent-encoded as UTF-8, the way
 * URLs carry it: a header holds bytes, the runtime refuses text it cannot write as Latin-1, and
 * Latin-1 itself would turn "€" into something else. A lone surrogate becomes U+FFFD first.
 */
export function headerValue(text: string): string {
  if (SENDABLE.test(text)) return text;
  const clean = text.toWellFormed().replace(/[\x00-\x08\x0a-\x1f\x7f]/g, " ");
  return clean.replace(/[^\t\x20-\x7e]+/g, (run) => encodeURIComponent(run));
}

/** No headers of the answer's own. */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The headers of most answers, errors included; never written to (toResponse copies from it). */
export const JSON_HEADERS: Record<string, string> = Object.freeze({ "content-type": "application/json" }) as Record<string, string>;

function json(status: number, value: unknown, headers: Record<string, string>): EndpointAnswer {
  const body = JSON.stringify(value) ?? "null";
  return { status, headers: hasAny(headers) ? { "content-type": "application/json", ...headers } : JSON_HEADERS, body };
}

function hasAny(record: Record<string, string>): boolean {
  for (const _ in record) return true;
  return false;
}

/**
 * The answer as a Response, with the call's own headers (ids, CORS, rate limits), which win over
 * the answer's. `callHeaders` is taken over and filled in, not copied: it belongs to one call, and
 * a refused call should cost one headers object, not three.
 */
export function toResponse(answer: EndpointAnswer, callHeaders: Record<string, string>): Response {
  const noBody = answer.status === 204 || answer.status === 304;
  for (const name in answer.headers) if (!Object.hasOwn(callHeaders, name)) callHeaders[name] = answer.headers[name]!;
  return new Response(noBody ? null : answer.body, { status: answer.status, headers: callHeaders });
}
