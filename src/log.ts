/**
 * @module log
 * A small structured logger: one line per event, plain text for people or JSON for collectors
 * (`SWITCHBOARD_LOG_FORMAT=json`). Callers pass fields, never secrets: redaction is the caller's
 * job because only the caller knows which values are secret.
 */
import { isoNow } from "./clock";

export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Writes out lines still buffered (the default stderr sink batches them). */
  flush?(): void;
}

export interface LoggerOptions {
  format: LogFormat;
  /** Where lines go; defaults to stderr so stdout stays for command output and the listening line. */
  write?: (line: string) => void;
  debug?: boolean;
}

/**
 * The default sink: lines are gathered and written to stderr every few milliseconds (or sooner
 * past 64 KiB), so a busy server does not make a write system call per request. Not per tick: Bun
 * serves each request in a turn of its own, so a per-tick flush was still one write per request,
 * about a fifth of the cost of a small call.
 */
const FLUSH_DELAY_MS = 10;
const FLUSH_BYTES = 65_536;

function createStderrSink() {
  let buffer: string[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const text = buffer.join("\n") + "\n";
    buffer = [];
    size = 0;
    process.stderr.write(text);
  };
  const write = (line: string) => {
    buffer.push(line);
    size += line.length;
    if (size > FLUSH_BYTES) flush();
    else if (timer === undefined) {
      timer = setTimeout(flush, FLUSH_DELAY_MS);
      // Never what keeps a finished process alive; the exit hook below writes what is left.
      timer.unref?.();
    }
  };
  process.once("exit", flush);
  return { write, flush };
}

function textValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}

/** Creates a logger writing one line per call in the chosen format. */
export function createLogger(options: LoggerOptions): Logger {
  const sink = options.write ? { write: options.write, flush: () => {} } : createStderrSink();
  const write = sink.write;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    const time = isoNow();
    if (options.format === "json") {
      // The fields' own JSON spliced after the fixed keys: no merged object per line.
      const rest = fields === undefined ? "{}" : JSON.stringify(fields);
      write(`{"time":"${time}","level":"${level}","msg":${JSON.stringify(msg)}${rest.length > 2 ? `,${rest.slice(1)}` : "}"}`);
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
    // Undefined fields are left out, as JSON.stringify leaves them out of the json format.
    if (fields) {
      for (const key in fields) {
        const value = fields[key];
        if (value !== undefined) line += ` ${key}=${textValue(value)}`;
      }
    }
    write(line);
  };
  return {
    debug: (msg, fields) => {
      if (options.debug) emit("debug", msg, fields);
    },
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    flush: sink.flush,
  };
}

/** A logger that keeps lines in memory; tests read `lines` to assert on what was logged. */
export function createMemoryLogger(format: LogFormat = "json"): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ format, write: (line) => lines.push(line), debug: true }), { lines });
}
