/**
 * @module http/ip-allowlist
 * CIDR allowlists (IPv4 and IPv6) for API keys and accounts, and the strict address parsing
 * shared with `http/client-ip`. Lists are compiled once into parsed ranges so that a request
 * costs one address parse plus a comparison per range; `ipMatcherFor` caches compiled lists
 * because many keys and accounts share the same one.
 *
 * Addresses are normalized before any comparison: IPv4-mapped IPv6 (`::ffff:10.1.2.3`) becomes
 * IPv4 and IPv6 zone ids (`fe80::1%eth0`) are dropped, so a v4 rule matches a client seen on a
 * dual-stack socket. IPv6 ranges match IPv6 addresses only (`::/0` does not admit IPv4 clients).
 */
import { badRequest } from "./errors";
import ipaddr from "ipaddr.js";

/** A parsed, normalized address (never IPv4-mapped IPv6, never with a zone id). */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface IpMatcher {
  /** True for an empty list, which means "no restriction": every address matches. */
  readonly empty: boolean;
  /** Whether `ip` is inside one of the ranges. Non-empty list: undefined or unparseable is refused. */
  matches(ip: string | undefined): boolean;
  /** Same as `matches` for an address already parsed by `parseIp` (saves a second parse). */
  matchesAddress(address: IpAddress): boolean;
}

/** A CIDR entry that is not an IP address or CIDR; `entry` is the offending text (trimmed). */
export class IpAllowlistError extends Error {
  override name = "IpAllowlistError";
  readonly entry: string;

  constructor(entry: string, reason = "expected an IP address or CIDR") {
    // JSON quoting keeps the message on one line whatever the user typed.
    super(`invalid IP allowlist entry ${JSON.stringify(shorten(entry))}: ${reason}`);
    this.entry = entry;
  }
}

/** Save-time limits for user-supplied lists (DB rows stay small, matching stays cheap). */
export const MAX_ALLOWLIST_ENTRIES = 100;
export const MAX_ALLOWLIST_ENTRY_LENGTH = 64;

const shorten = (text: string) => (text.length > MAX_ALLOWLIST_ENTRY_LENGTH ? `${text.slice(0, MAX_ALLOWLIST_ENTRY_LENGTH)}…` : text);

// Prefix lengths are plain decimals: no sign, no leading zero, at most three digits.
const PREFIX = /^(?:0|[1-9]\d{0,2})$/;

/** Parses without unmapping; IPv4 must be four-part decimal (no `127.1`, `0x7f…`, octal `010…`). */
function parseRaw(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const zone = text.indexOf("%");
    try {
      return ipaddr.IPv6.parse(zone === -1 ? text : text.slice(0, zone));
    } catch {
      return undefined;
    }
  }
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : undefined;
}

// Checked on the parts directly: ipaddr's isIPv4MappedAddress() classifies against every special range.
const isMapped = (v6: ipaddr.IPv6) => {
  const p = v6.parts;
  return p[0] === 0 && p[1] === 0 && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0xffff;
};

const unmap = (address: IpAddress): IpAddress =>
  address.kind() === "ipv6" && isMapped(address as ipaddr.IPv6) ? (address as ipaddr.IPv6).toIPv4Address() : address;

/**
 * Parses one address strictly and normalizes it (mapped IPv4 -> IPv4, zone id dropped).
 * Returns undefined for anything else, including surrounding whitespace.
 */
export function parseIp(text: string): IpAddress | undefined {
  const raw = parseRaw(text);
  return raw === undefined ? undefined : unmap(raw);
}

/** Parses `addr/bits` or a bare address (a single host); a mapped range >= /96 becomes IPv4. */
function parseCidr(text: string): [IpAddress, number] | undefined {
  const slash = text.lastIndexOf("/");
  const address = parseRaw(slash === -1 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  const max = address.kind() === "ipv4" ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const prefix = text.slice(slash + 1);
    if (!PREFIX.test(prefix)) return undefined;
    bits = Number(prefix);
    if (bits > max) return undefined;
  }
  if (address.kind() === "ipv6" && bits >= 96 && isMapped(address as ipaddr.IPv6)) {
    return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [address, bits];
}

class CompiledMatcher implements IpMatcher {
  readonly empty: boolean;

  constructor(
    private readonly v4: [ipaddr.IPv4, number][],
    private readonly v6: [ipaddr.IPv6, number][],
  ) {
    this.empty = v4.length === 0 && v6.length === 0;
  }

  matches(ip: string | undefined): boolean {
    if (this.empty) return true;
    if (ip === undefined) return false;
    const address = parseIp(ip);
    return address !== undefined && this.matchesAddress(address);
  }

  matchesAddress(address: IpAddress): boolean {
    if (this.empty) return true;
    const normalized = unmap(address);
    // ipaddr's match() throws across families, so each family only sees its own ranges.
    const ranges: [IpAddress, number][] = normalized.kind() === "ipv4" ? this.v4 : this.v6;
    for (let i = 0; i < ranges.length; i++) {
      if (normalized.match(ranges[i]!)) return true;
    }
    return false;
  }
}

/**
 * Compiles a list of CIDRs (bare addresses mean one host) into a matcher. Every entry is parsed
 * here, once. Throws IpAllowlistError naming the first bad entry.
 */
export function compileIpAllowlist(cidrs: readonly string[]): IpMatcher {
  const v4: [ipaddr.IPv4, number][] = [];
  const v6: [ipaddr.IPv6, number][] = [];
  for (const entry of cidrs) {
    const range = parseCidr(entry.trim());
    if (range === undefined) throw new IpAllowlistError(entry.trim());
    if (range[0].kind() === "ipv4") v4.push(range as [ipaddr.IPv4, number]);
    else v6.push(range as [ipaddr.IPv6, number]);
  }
  return new CompiledMatcher(v4, v6);
}

/**
 * Validates user input at save time and returns the normalized list: entries trimmed,
 * addresses in canonical form, bare addresses given /32 or /128, mapped IPv4 written as IPv4.
 * Host bits are kept as typed (`10.1.2.3/8` stays, it matches like `10.0.0.0/8`).
 * Throws IpAllowlistError for a non-array, more than 100 entries, an entry over 64 characters,
 * or an entry that is not an address or CIDR.
 */
export function validateCidrList(cidrs: unknown): string[] {
  if (!Array.isArray(cidrs)) throw new IpAllowlistError(String(cidrs), "expected a list of IP addresses or CIDRs");
  if (cidrs.length > MAX_ALLOWLIST_ENTRIES) {
    throw new IpAllowlistError(String(cidrs[MAX_ALLOWLIST_ENTRIES]), `at most ${MAX_ALLOWLIST_ENTRIES} entries are allowed`);
  }
  return cidrs.map((value: unknown) => {
    if (typeof value !== "string") throw new IpAllowlistError(String(value), "expected a string");
    const entry = value.trim();
    if (entry.length > MAX_ALLOWLIST_ENTRY_LENGTH) {
      throw new IpAllowlistError(entry, `longer than ${MAX_ALLOWLIST_ENTRY_LENGTH} characters`);
    }
    const range = parseCidr(entry);
    if (range === undefined) throw new IpAllowlistError(entry);
    return `${range[0].toString()}/${range[1]}`;
  });
}

const EMPTY: IpMatcher = compileIpAllowlist([]);
const CACHE_LIMIT = 1000;
const cache = new Map<string, IpMatcher>();

/**
 * The compiled matcher for `cidrs`, from a bounded cache keyed by the list's content (not its
 * identity: rows re-read from the database are new arrays). Throws like `compileIpAllowlist`;
 * failures are not cached.
 */
export function ipMatcherFor(cidrs: readonly string[]): IpMatcher {
  if (cidrs.length === 0) return EMPTY;
  // No valid entry contains a comma, so two lists share a key only if they hold the same entries.
  const key = cidrs.join(",");
  let matcher = cache.get(key);
  if (matcher === undefined) {
    matcher = compileIpAllowlist(cidrs);
    // Map keeps insertion order: the first key is the oldest. Good enough for lists that rarely change.
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, matcher);
  }
  return matcher;
}

/** `validateCidrList` for request input: a bad entry is a 400 naming the field and the entry. */
export function allowlistFromInput(cidrs: unknown, field = "ip_allowlist"): string[] {
  try {
    return validateCidrList(cidrs);
  } catch (error) {
    if (error instanceof IpAllowlistError) throw badRequest(error.message, { field, entry: error.entry });
    throw error;
  }
}
