/**
 * @module log
 * A small structured logger: one line per event, plain text for people or JSON for collectors
 * (`SWITCHBOARD_LOG_FORMAT=json`). Callers pass fields, never secrets: redaction is the caller's
 * job because only the caller knows which values are secret.
 */

export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  format: LogFormat;
  /** Where lines go; defaults to stderr so stdout stays for command output and the listening line. */
  write?: (line: string) => void;
  debug?: boolean;
}

const writeStderr = (line: string) => {
  process.stderr.write(line + "\n");
};

function textValue(value: unknown): string {
  if (typeof value === "string") return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}

/** Creates a logger writing one line per call in the chosen format. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? writeStderr;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    const time = new Date().toISOString();
    if (options.format === "json") {
      write(JSON.stringify({ time, level, msg, ...fields }));
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${msg}`;
    if (fields) for (const key in fields) line += ` ${key}=${textValue(fields[key])}`;
    write(line);
  };
  return {
    debug: (msg, fields) => {
      if (options.debug) emit("debug", msg, fields);
    },
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

/** A logger that keeps lines in memory; tests read `lines` to assert on what was logged. */
export function createMemoryLogger(format: LogFormat = "json"): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ format, write: (line) => lines.push(line), debug: true }), { lines });
}
