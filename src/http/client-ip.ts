/**
 * @module http/client-ip
 * The client address of a request, for IP allowlists, rate limits and logs. By default it is the
 * socket peer. X-Forwarded-For is believed only when the peer is a trusted proxy
 * (SWITCHBOARD_TRUST_PROXY), and then only as far as the chain of trusted proxies reaches:
 * anyone can send the header, so an untrusted peer's X-Forwarded-For is ignored entirely.
 */
import { compileIpAllowlist, parseIp, type IpAddress } from "./ip-allowlist";

export interface ClientIpResolver {
  /**
   * The normalized client address (mapped IPv4 as IPv4, no zone id), or undefined when the socket
   * address is unknown or unparseable. `socketIp` is `server.requestIP(request)?.address`.
   */
  resolve(request: Request, socketIp: string | undefined): string | undefined;
  /**
   * The same, not remembered for the request: for a caller that asks once per request (the
   * custom endpoint dispatcher), which then costs no WeakMap entry.
   */
  compute(request: Request, socketIp: string | undefined): string | undefined;
}

// The walk stops here even if every hop is a trusted proxy: no real deployment has this many,
// and it bounds the work a long header can cause.
const MAX_HOPS = 32;

/**
 * Builds the resolver for a list of trusted proxy CIDRs (already validated by config; throws
 * IpAllowlistError otherwise). An empty list trusts nobody: the socket address is always used.
 */
export function createClientIpResolver(trustProxy: readonly string[]): ClientIpResolver {
  const trusted = compileIpAllowlist(trustProxy);
  // Several middlewares ask for the address of one request; null stands for "resolved to undefined".
  const memo = new WeakMap<Request, string | null>();

  // A plain dotted IPv4 socket address is already canonical: with no proxies to check, skip the parse.
  const PLAIN_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

  function compute(request: Request, socketIp: string | undefined): string | undefined {
    if (trusted.empty && socketIp !== undefined && PLAIN_V4.test(socketIp)) return socketIp;
    const peer = socketIp === undefined ? undefined : parseIp(socketIp);
    if (peer === undefined) return undefined;
    // An empty matcher matches everything; for proxies, empty must mean "trust none".
    if (trusted.empty || !trusted.matchesAddress(peer)) return peer.toString();
    // Headers.get joins repeated X-Forwarded-For headers with ", ", which is what we want.
    const header = request.headers.get("x-forwarded-for");
    let client: IpAddress = peer;
    if (header === null) return client.toString();
    // Right-most untrusted: each trusted proxy appends the address it saw, so walk from the right
    // while the hops are our own proxies. Whatever lies left of the first untrusted hop was
    // written by the client and is never believed.
    let end = header.length;
    for (let hops = 0; end >= 0 && hops < MAX_HOPS; hops++) {
      const start = header.lastIndexOf(",", end - 1) + 1;
      const hop = parseIp(header.slice(start, end).trim());
      // Garbage means the chain can no longer be trusted: keep the last address we could vouch for.
      if (hop === undefined) break;
      client = hop;
      if (!trusted.matchesAddress(hop)) break;
      end = start - 1;
    }
    return client.toString();
  }

  return {
    compute,
    resolve(request, socketIp) {
      const known = memo.get(request);
      if (known !== undefined) return known ?? undefined;
      const ip = compute(request, socketIp);
      memo.set(request, ip ?? null);
      return ip;
    },
  };
}
