/**
 * @module modules/endpoints/respond
 * Builds a custom endpoint's answer: its response template (status, body, headers) rendered with
 * the run's data, or 200 with the last action's result as JSON.
 */
import { AppError } from "../../http/errors";
import type { TemplateData } from "../../engine/types";
import type { CompiledTemplate } from "../../templates";

export interface EndpointAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the server itself; a template must not be able to change the framing of the answer.
const RESERVED = new Set(["content-length", "transfer-encoding", "connection", "x-execution-id"]);

export function buildAnswer(template: CompiledTemplate | null, data: TemplateData, lastResult: unknown): EndpointAnswer {
  if (!template) return json(200, lastResult ?? null, {});
  const rendered = (template.render(data) ?? {}) as { status?: unknown; body?: unknown; headers?: unknown };
  const status = rendered.status === undefined || rendered.status === null || rendered.status === "" ? 200 : Number(rendered.status);
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new AppError("INTERNAL_ERROR", `response_template.status rendered to ${JSON.stringify(rendered.status)}, not a status code`);
  }
  const headers: Record<string, string> = {};
  if (rendered.headers && typeof rendered.headers === "object") {
    for (const [name, value] of Object.entries(rendered.headers as Record<string, unknown>)) {
      if (!HEADER_NAME.test(name) || RESERVED.has(name.toLowerCase())) continue;
      headers[name.toLowerCase()] = headerValue(String(value ?? ""));
    }
  }
  if (typeof rendered.body === "string") {
    return { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers }, body: rendered.body };
  }
  return json(status, rendered.body === undefined ? lastResult ?? null : rendered.body, headers);
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
