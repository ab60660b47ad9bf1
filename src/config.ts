/**
 * @module config
 * Flags + environment -> one validated, frozen Config (DESIGN.md, Process and configuration).
 * Flags win over environment variables, which win over defaults. Every problem is a ConfigError
 * with one line that names the setting, so `main.ts` can print it and exit non-zero.
 */
import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import ipaddr from "ipaddr.js";
import { parsePlans, type RateLimitWindowLimits } from "./http/rate-limit";
import type { LogFormat } from "./log";

export interface Config {
  host: string;
  port: number;
  /** Absolute path of the data directory (database, generated secret key, plugins). */
  dataDir: string;
  adminEmail?: string;
  adminPassword?: string;
  /** Master key from SWITCHBOARD_SECRET_KEY; when absent one is generated into the data dir. */
  secretKey?: string;
  /** CIDRs of proxies whose X-Forwarded-For is believed. */
  trustProxy: string[];
  /** Lets outbound actions call loopback/private addresses (off by default: SSRF). */
  outboundAllowPrivate: boolean;
  logFormat: LogFormat;
  /** Largest accepted request body in bytes (413 above it). */
  bodyLimitBytes: number;
  /** How long SIGTERM waits for in-flight work before closing anyway. */
  shutdownTimeoutMs: number;
  /** SQLite `synchronous`: NORMAL survives a process crash, FULL also a power loss (slower). */
  dbSynchronous: "NORMAL" | "FULL";
  /** Execution history is written by a thread of its own (false: by the request thread). */
  historyThread: boolean;
  /**
   * query_records' SELECTs run on a thread of their own while the request thread is saturated
   * (false: always on the request thread). By default only with 4 or more CPUs: see parseReaderThread.
   */
  readerThread: boolean;
  /** Rate-limit plans by name (SWITCHBOARD_PLANS merges over the defaults of DESIGN.md). */
  plans: Record<string, RateLimitWindowLimits>;
  /** Plan of new accounts. */
  defaultPlan: string;
  sessionTtlMs: number;
  maxKeysPerAccount: number;
  /** Login attempts allowed per client IP per minute. */
  loginAttemptsPerMinute: number;
  maxEndpointsPerAccount: number;
  /** Execution history older than this is pruned. */
  historyMaxAgeMs: number;
  /** At most this many executions are kept per endpoint (the newest). */
  historyMaxPerEndpoint: number;
  /** How long an Idempotency-Key answer is replayed. */
  idempotencyTtlMs: number;
  /** Folders plugins load from: `./plugins` (of the working directory) and `<data-dir>/plugins`. */
  pluginDirs: string[];
}

/** A configuration problem, reported as one line without a stack trace. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export type Env = Record<string, string | undefined>;

/** Flags understood by `serve` and `migrate` (and later commands that open the data dir). */
export const CONFIG_FLAGS = {
  host: { type: "string" },
  port: { type: "string" },
  "data-dir": { type: "string" },
  "body-limit": { type: "string" },
  "log-format": { type: "string" },
} as const;

export type ConfigFlags = { [K in keyof typeof CONFIG_FLAGS]?: string };

/**
 * Parses argv (after the command name) into config flags, the command's own string flags
 * (`extra`, e.g. ["email", "password"]) and leftover positionals.
 */
export function parseConfigFlags(
  argv: string[],
  extra: string[] = [],
): { flags: ConfigFlags; options: Record<string, string | undefined>; positionals: string[] } {
  const options: Record<string, { type: "string" }> = { ...CONFIG_FLAGS };
  for (const name of extra) options[name] = { type: "string" };
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
    return { flags: values as ConfigFlags, options: values as Record<string, string | undefined>, positionals };
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Builds and validates the Config. Does not touch the disk; see `prepareDataDir`. */
export function loadConfig(flags: ConfigFlags, env: Env, cwd = process.cwd()): Config {
  const pick = (flag: keyof ConfigFlags, envName: string) => {
    const value = flags[flag] ?? env[envName];
    return value === undefined || value === "" ? undefined : value;
  };
  const config: Config = {
    host: parseHost(pick("host", "SWITCHBOARD_HOST") ?? "127.0.0.1"),
    port: parsePort(pick("port", "SWITCHBOARD_PORT") ?? "8080"),
    dataDir: resolve(cwd, pick("data-dir", "SWITCHBOARD_DATA_DIR") ?? "./sb_data"),
    adminEmail: nonEmpty(env.SWITCHBOARD_ADMIN_EMAIL),
    adminPassword: nonEmpty(env.SWITCHBOARD_ADMIN_PASSWORD),
    secretKey: nonEmpty(env.SWITCHBOARD_SECRET_KEY),
    trustProxy: parseCidrList(env.SWITCHBOARD_TRUST_PROXY, "SWITCHBOARD_TRUST_PROXY"),
    outboundAllowPrivate: parseBool(env.SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE, "SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE", false),
    logFormat: parseLogFormat(pick("log-format", "SWITCHBOARD_LOG_FORMAT") ?? "text"),
    bodyLimitBytes: parseSize(pick("body-limit", "SWITCHBOARD_BODY_LIMIT") ?? "1mb", "body limit"),
    shutdownTimeoutMs: parseInteger(env.SWITCHBOARD_SHUTDOWN_TIMEOUT_MS ?? "10000", "SWITCHBOARD_SHUTDOWN_TIMEOUT_MS", 0, 600_000),
    dbSynchronous: parseSynchronous(env.SWITCHBOARD_DB_SYNCHRONOUS ?? "NORMAL"),
    historyThread: parseBool(env.SWITCHBOARD_HISTORY_THREAD, "SWITCHBOARD_HISTORY_THREAD", true),
    readerThread: parseReaderThread(env.SWITCHBOARD_READER_THREAD, availableParallelism()),
    plans: parsePlansSetting(env.SWITCHBOARD_PLANS),
    defaultPlan: env.SWITCHBOARD_DEFAULT_PLAN || "free",
    sessionTtlMs: parseDuration(env.SWITCHBOARD_SESSION_TTL ?? "14d", "SWITCHBOARD_SESSION_TTL"),
    maxKeysPerAccount: parseInteger(env.SWITCHBOARD_MAX_KEYS_PER_ACCOUNT ?? "10", "SWITCHBOARD_MAX_KEYS_PER_ACCOUNT", 1, 100_000),
    loginAttemptsPerMinute: parseInteger(env.SWITCHBOARD_LOGIN_ATTEMPTS_PER_MINUTE ?? "10", "SWITCHBOARD_LOGIN_ATTEMPTS_PER_MINUTE", 1, 100_000),
    maxEndpointsPerAccount: parseInteger(env.SWITCHBOARD_MAX_ENDPOINTS_PER_ACCOUNT ?? "20", "SWITCHBOARD_MAX_ENDPOINTS_PER_ACCOUNT", 1, 100_000),
    historyMaxAgeMs: parseDuration(env.SWITCHBOARD_HISTORY_MAX_AGE ?? "30d", "SWITCHBOARD_HISTORY_MAX_AGE"),
    historyMaxPerEndpoint: parseInteger(env.SWITCHBOARD_HISTORY_MAX_PER_ENDPOINT ?? "10000", "SWITCHBOARD_HISTORY_MAX_PER_ENDPOINT", 1, 10_000_000),
    idempotencyTtlMs: parseDuration(env.SWITCHBOARD_IDEMPOTENCY_TTL ?? "24h", "SWITCHBOARD_IDEMPOTENCY_TTL"),
    pluginDirs: [resolve(cwd, "plugins"), join(resolve(cwd, pick("data-dir", "SWITCHBOARD_DATA_DIR") ?? "./sb_data"), "plugins")],
  };
  if (!Object.hasOwn(config.plans, config.defaultPlan)) {
    throw new ConfigError(`SWITCHBOARD_DEFAULT_PLAN "${config.defaultPlan}" is not a plan (${Object.keys(config.plans).join(", ")})`);
  }
  if ((config.adminEmail === undefined) !== (config.adminPassword === undefined)) {
    throw new ConfigError("SWITCHBOARD_ADMIN_EMAIL and SWITCHBOARD_ADMIN_PASSWORD must be set together");
  }
  if (config.secretKey !== undefined && config.secretKey.length < 32) {
    throw new ConfigError("SWITCHBOARD_SECRET_KEY must be at least 32 characters");
  }
  return Object.freeze(config);
}

/** Creates the data dir if needed and proves it is writable, or throws a ConfigError. */
export function prepareDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
    if (!statSync(dataDir).isDirectory()) throw new Error("not a directory");
    accessSync(dataDir, constants.W_OK);
    // access() says yes to root even on read-only mounts; a real write is the only proof.
    const probe = join(dataDir, `.write-probe-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`data dir ${dataDir} is not a writable directory (${reason})`);
  }
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);

function parseHost(value: string): string {
  if (!/^[A-Za-z0-9.:\-\[\]]+$/.test(value)) throw new ConfigError(`invalid host "${value}"`);
  return value;
}

function parsePort(value: string): number {
  return parseInteger(value, "port", 0, 65535);
}

function parseInteger(value: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`invalid ${name} "${value}": expected a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new ConfigError(`invalid ${name} ${value}: expected ${min} to ${max}`);
  return n;
}

function parseBool(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`invalid ${name} "${value}": expected true or false`);
}

/** Below this many CPUs, `auto` keeps query_records' reads on the request thread. */
export const READER_THREAD_MIN_CPUS = 4;

/**
 * `SWITCHBOARD_READER_THREAD`: true, false, or `auto` (the default), which is true with at least
 * READER_THREAD_MIN_CPUS CPUs. Handing a read to the thread and its records back costs more CPU
 * than it takes off the request thread (on 2 vCPUs under an indexed-query load: ~60 µs on the
 * reader for ~10-25 µs less on the request thread per call). That pays only when a core would
 * otherwise sit idle; with two, the history writer and the clients already want the second one,
 * and the query served ~25% fewer requests with the thread than without (docs/performance.md).
 */
export function parseReaderThread(value: string | undefined, cpus: number): boolean {
  if (value === undefined || value === "" || /^auto$/i.test(value)) return cpus >= READER_THREAD_MIN_CPUS;
  try {
    return parseBool(value, "SWITCHBOARD_READER_THREAD", true);
  } catch {
    throw new ConfigError(`invalid SWITCHBOARD_READER_THREAD "${value}": expected auto, true or false`);
  }
}

function parseLogFormat(value: string): LogFormat {
  if (value === "text" || value === "json") return value;
  throw new ConfigError(`invalid log format "${value}": expected text or json`);
}

function parseSynchronous(value: string): "NORMAL" | "FULL" {
  const upper = value.toUpperCase();
  if (upper === "NORMAL" || upper === "FULL") return upper;
  throw new ConfigError(`invalid SWITCHBOARD_DB_SYNCHRONOUS "${value}": expected NORMAL or FULL`);
}

function parsePlansSetting(value: string | undefined): Record<string, RateLimitWindowLimits> {
  try {
    return parsePlans(value);
  } catch (error) {
    throw new ConfigError(`invalid SWITCHBOARD_PLANS: ${(error as Error).message}`);
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses durations such as `14d`, `12h`, `90m`, `30s` or plain milliseconds. */
export function parseDuration(value: string, name: string): number {
  const match = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) throw new ConfigError(`invalid ${name} "${value}": expected a duration like 14d, 12h, 30m`);
  const ms = Number(match[1]) * DURATION_UNITS[match[2] ?? "ms"]!;
  if (ms < 1000 || ms > 366 * 86_400_000) throw new ConfigError(`invalid ${name} "${value}": expected 1s to 366d`);
  return ms;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

/** Parses sizes such as `1048576`, `512kb`, `1mb`. */
export function parseSize(value: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? SIZE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new ConfigError(`invalid ${name} "${value}": expected bytes or a size like 512kb, 1mb`);
  const bytes = Math.floor(Number(match[1]) * unit);
  if (bytes < 1 || bytes > 1024 ** 3) throw new ConfigError(`invalid ${name} "${value}": expected 1 byte to 1gb`);
  return bytes;
}

/** Parses a comma-separated CIDR list (a bare address means a single host). */
export function parseCidrList(value: string | undefined, name: string): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const cidr = part.includes("/") ? part : `${part}/${part.includes(":") ? 128 : 32}`;
      try {
        ipaddr.parseCIDR(cidr);
      } catch {
        throw new ConfigError(`invalid ${name} entry "${part}": expected an IP address or CIDR`);
      }
      return cidr;
    });
}
