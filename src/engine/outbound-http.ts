/**
 * @module engine/outbound-http
 * The `http` capability actions get: fetch with SSRF guards. Only http and https; the host is
 * resolved first and every address it has must be public (ipaddr.js `range()` must say
 * "unicast"), unless the instance allows private destinations; cloud metadata addresses are
 * refused always. Redirects are followed by hand, at most 5, each hop checked again. Bodies are
 * capped, JSON answers parsed, and failures become ActionErrors (TIMEOUT, UPSTREAM_ERROR, ...).
 *
 * DNS rebinding: checking a name and then letting fetch resolve it again would leave a gap (the
 * second answer could be 127.0.0.1). So the request is PINNED: it connects to the checked address
 * itself (`http://93.184.216.34/...`) with the original `Host` header, and for https with the
 * original name as TLS `serverName`, so SNI and certificate checks still use the name. One
 * residual gap: an HTTP(S)_PROXY set in the environment makes Bun send the request through that
 * proxy, which does its own connecting.
 */
import { lookup } from "node:dns/promises";
import ipaddr from "ipaddr.js";
import { ActionError, type HttpCapability, type OutboundRequest, type OutboundResponse } from "../plugin-api";

/** Largest response body read (after decompression): 5 MiB. */
export const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
export const MAX_REDIRECTS = 5;
/** Used when neither the request nor the options give a timeout: the longest a pipeline may run. */
export const DEFAULT_OUTBOUND_TIMEOUT_MS = 30_000;

/**
 * Instance metadata services (AWS/GCP/Azure/OpenStack at 169.254.169.254, AWS over IPv6): they
 * hand out cloud credentials, so they stay refused even when private destinations are allowed.
 */
const METADATA_ADDRESSES = ["169.254.169.254", "fd00:ec2::254"].map((a) => ipaddr.parse(a).toNormalizedString());

export interface HttpCapabilityOptions {
  /** SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE: lets actions reach loopback, LAN and link-local addresses. */
  allowPrivate: boolean;
  /** The pipeline's signal: aborting it aborts requests in flight (TIMEOUT). */
  signal: AbortSignal;
  /** Per-request timeout when the request names none (default 30 s). */
  defaultTimeoutMs?: number;
  /** Name -> addresses; defaults to the system resolver (`getaddrinfo`, so /etc/hosts counts). */
  resolve?: (host: string) => Promise<string[]>;
  maxResponseBytes?: number;
  maxRedirects?: number;
  /** Trusted CA certificates (PEM) instead of the system's: private PKI, tests. */
  ca?: string | string[];
}

/** What an address is, as far as outbound requests care. */
export type AddressClass = "public" | "private" | "metadata";

/**
 * Classifies an IP address. IPv4-mapped (`::ffff:10.0.0.1`) and NAT64 (`64:ff9b::a00:1`) IPv6
 * addresses count as the IPv4 address inside. Anything ipaddr.js does not call "unicast" is private:
 * loopback, RFC 1918, link-local, CGNAT, unique-local, unspecified, multicast, broadcast, reserved.
 */
export function classifyAddress(address: string): AddressClass {
  let ip: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
  if (ip.kind() === "ipv6") {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else if (v6.match(NAT64_PREFIX)) ip = new ipaddr.IPv4(v6.toByteArray().slice(12));
  }
  if (METADATA_ADDRESSES.includes(ip.toNormalizedString())) return "metadata";
  return ip.range() === "unicast" ? "public" : "private";
}

const NAT64_PREFIX = ipaddr.parseCIDR("64:ff9b::/96");

/** True when a request to `address` must be refused under this policy. */
export function isRefusedAddress(address: string, allowPrivate: boolean): boolean {
  const kind = classifyAddress(address);
  return kind === "metadata" || (kind === "private" && !allowPrivate);
}

const systemResolve = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Builds the capability for one pipeline run. */
export function createHttpCapability(options: HttpCapabilityOptions): HttpCapability {
  const resolveHost = options.resolve ?? systemResolve;
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS;

  /** The address to connect to for `url`, after checking every address the host has. */
  async function destination(url: URL, signal: AbortSignal): Promise<string> {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    let addresses: string[];
    if (ipaddr.isValid(host)) {
      addresses = [host];
    } else {
      try {
        addresses = await abortable(resolveHost(host), signal);
      } catch (error) {
        if (signal.aborted) throw error;
        throw new ActionError("UPSTREAM_ERROR", `Could not resolve host "${host}"`, { host });
      }
      if (addresses.length === 0) throw new ActionError("UPSTREAM_ERROR", `Could not resolve host "${host}"`, { host });
    }
    // Every address, not just the first: a name answering one public and one private address is
    // exactly what a rebinding attack looks like. The resolved address is not echoed: it could map
    // an internal network for whoever calls the endpoint.
    if (addresses.some((a) => !ipaddr.isValid(a) || isRefusedAddress(a, options.allowPrivate))) {
      throw new ActionError("FORBIDDEN", `Outbound request to "${host}" refused: loopback, private, link-local and metadata addresses are not allowed`, { host });
    }
    // IPv4 first: a host with AAAA records but no IPv6 route is common, the reverse is rare.
    return [...addresses].sort((a, b) => ipaddr.parse(a).kind().localeCompare(ipaddr.parse(b).kind()))[0]!;
  }

  return {
    async fetch(url: string, request: OutboundRequest = {}): Promise<OutboundResponse> {
      let target = parseTarget(url);
      let method = (request.method ?? "GET").toUpperCase();
      if (!/^[A-Z]{1,20}$/.test(method)) throw new ActionError("VALIDATION_ERROR", `Invalid HTTP method "${request.method}"`);
      const headers = requestHeaders(request.headers);
      let body = encodeBody(request.body, headers);
      if (body !== undefined && (method === "GET" || method === "HEAD")) {
        throw new ActionError("VALIDATION_ERROR", `A ${method} request cannot have a body`);
      }
      const timeoutMs = request.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_OUTBOUND_TIMEOUT_MS;
      const signal = AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]);

      try {
        for (let hop = 0; ; hop++) {
          const address = await destination(target, signal);
          const response = await fetch(pinnedUrl(target, address), {
            method,
            headers: { ...Object.fromEntries(headers), host: target.host },
            body,
            redirect: "manual",
            signal,
            ...(target.protocol === "https:" ? { tls: tlsFor(target, options.ca) } : {}),
          });
          const location = response.headers.get("location");
          if (!REDIRECT_STATUSES.has(response.status) || location === null) {
            return { status: response.status, headers: responseHeaders(response.headers), body: await readBody(response, maxBytes) };
          }
          await response.body?.cancel();
          if (hop >= maxRedirects) throw new ActionError("UPSTREAM_ERROR", `Too many redirects (more than ${maxRedirects})`, { host: target.hostname });
          const next = redirectTarget(location, target);
          // As browsers do: 303 always, and 301/302 after a POST, continue as a GET without a body.
          if ((response.status === 303 && method !== "HEAD") || ((response.status === 301 || response.status === 302) && method === "POST")) {
            method = "GET";
            body = undefined;
            headers.delete("content-type");
          }
          // Credentials meant for one origin must not follow a redirect to another.
          if (next.origin !== target.origin) for (const name of ["authorization", "cookie", "proxy-authorization"]) headers.delete(name);
          target = next;
        }
      } catch (error) {
        throw toActionError(error, signal, options.signal, timeoutMs, target.hostname);
      }
    },
  };
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function parseTarget(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ActionError("VALIDATION_ERROR", "Invalid URL for an outbound request", { url: String(url).slice(0, 200) });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ActionError("VALIDATION_ERROR", `Only http and https URLs are allowed, not ${parsed.protocol}`);
  }
  return parsed;
}

function redirectTarget(location: string, from: URL): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new ActionError("UPSTREAM_ERROR", "The upstream answered a redirect with an invalid Location", { host: from.hostname });
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new ActionError("UPSTREAM_ERROR", `The upstream redirected to a ${next.protocol} URL`, { host: from.hostname });
  }
  return next;
}

/** The URL with its host replaced by the checked address; the port, path and query are kept. */
function pinnedUrl(target: URL, address: string): string {
  const pinned = new URL(target);
  pinned.hostname = ipaddr.parse(address).kind() === "ipv6" ? `[${address}]` : address;
  return pinned.href;
}

/** SNI and the certificate check use the URL's name, though the connection goes to an address. */
function tlsFor(target: URL, ca: string | string[] | undefined) {
  return { serverName: target.hostname.replace(/^\[|\]$/g, ""), ...(ca ? { ca } : {}) };
}

function requestHeaders(input: Record<string, string> | undefined): Headers {
  try {
    const headers = new Headers(input);
    // The target's own Host, and a length fetch computes from the body it really sends.
    headers.delete("host");
    headers.delete("content-length");
    if (!headers.has("user-agent")) headers.set("user-agent", "switchboard");
    return headers;
  } catch (error) {
    throw new ActionError("VALIDATION_ERROR", `Invalid request headers: ${(error as Error).message}`);
  }
}

/** A string is sent as is; anything else as JSON (DESIGN.md: OutboundRequest.body). */
function encodeBody(body: unknown, headers: Headers): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === "string") return body;
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return JSON.stringify(body);
}

function responseHeaders(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = name in record ? `${record[name]}, ${value}` : value;
  });
  return record;
}

/** Reads at most `maxBytes`; JSON when the answer says so (and parses), text otherwise. */
async function readBody(response: Response, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new ActionError("UPSTREAM_ERROR", `The upstream response exceeds ${maxBytes} bytes`, { limit_bytes: maxBytes });
  const declared = Number(response.headers.get("content-length"));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks));
  if (!/\bjson\b/i.test(response.headers.get("content-type") ?? "")) return text;
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text; // a server mislabelling its answer still gets its text through
  }
}

/** Waits for `promise` unless `signal` aborts first (DNS lookups cannot be cancelled). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function toActionError(error: unknown, signal: AbortSignal, pipeline: AbortSignal, timeoutMs: number, host: string): ActionError {
  if (error instanceof ActionError) return error;
  if (signal.aborted) {
    return pipeline.aborted
      ? new ActionError("TIMEOUT", `Outbound request to "${host}" was stopped with its pipeline`, { host })
      : new ActionError("TIMEOUT", `Outbound request to "${host}" timed out after ${timeoutMs} ms`, { host, timeout_ms: timeoutMs });
  }
  // Bun's message names the pinned address; the code (ECONNREFUSED, ERR_TLS_...) says enough.
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === "string" && code !== "" ? code : "network error";
  return new ActionError("UPSTREAM_ERROR", `Outbound request to "${host}" failed: ${reason}`, { host });
}
