import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { ConfigError, loadConfig, parseConfigFlags, parseReaderThread, parseSize, prepareDataDir, READER_THREAD_MIN_CPUS } from "./config";

describe("loadConfig", () => {
  test("defaults match DESIGN.md", () => {
    const config = loadConfig({}, {}, "/srv");
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8080, dataDir: "/srv/sb_data", logFormat: "text", bodyLimitBytes: 1024 * 1024 });
    expect(config.trustProxy).toEqual([]);
    expect(config.outboundAllowPrivate).toBe(false);
    expect(config.historyThread).toBe(true);
    expect(config.readerThread).toBe(availableParallelism() >= READER_THREAD_MIN_CPUS);
    expect(Object.isFrozen(config)).toBe(true);
  });

  test("the records reader thread is on by default only with enough CPUs to spare one", () => {
    expect(parseReaderThread(undefined, 2)).toBe(false);
    expect(parseReaderThread("", 3)).toBe(false);
    expect(parseReaderThread(undefined, 4)).toBe(true);
    expect(parseReaderThread("AUTO", 16)).toBe(true);
    expect(parseReaderThread("auto", 1)).toBe(false);
    // An explicit value wins over the CPU count either way.
    expect(parseReaderThread("true", 1)).toBe(true);
    expect(parseReaderThread("off", 64)).toBe(false);
    expect(() => parseReaderThread("sometimes", 8)).toThrow('invalid SWITCHBOARD_READER_THREAD "sometimes": expected auto, true or false');
    expect(() => loadConfig({}, { SWITCHBOARD_READER_THREAD: "2" })).toThrow(ConfigError);
  });

  test("flags win over env, env over defaults", () => {
    const env = { SWITCHBOARD_HOST: "0.0.0.0", SWITCHBOARD_PORT: "9000", SWITCHBOARD_DATA_DIR: "/env-data", SWITCHBOARD_LOG_FORMAT: "json" };
    expect(loadConfig({}, env)).toMatchObject({ host: "0.0.0.0", port: 9000, dataDir: "/env-data", logFormat: "json" });
    expect(loadConfig({ port: "0", "data-dir": "/flag-data" }, env)).toMatchObject({ port: 0, dataDir: "/flag-data" });
  });

  test("env values are parsed and typed", () => {
    const config = loadConfig({}, {
      SWITCHBOARD_TRUST_PROXY: "10.0.0.0/8, ::1 ,192.168.1.5",
      SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE: "true",
      SWITCHBOARD_ADMIN_EMAIL: "a@b.c",
      SWITCHBOARD_ADMIN_PASSWORD: "pw",
      SWITCHBOARD_BODY_LIMIT: "512kb",
      SWITCHBOARD_HISTORY_THREAD: "false",
      SWITCHBOARD_READER_THREAD: "false",
    });
    expect(config.historyThread).toBe(false);
    expect(config.readerThread).toBe(false);
    expect(config.trustProxy).toEqual(["10.0.0.0/8", "::1/128", "192.168.1.5/32"]);
    expect(config.outboundAllowPrivate).toBe(true);
    expect(config.bodyLimitBytes).toBe(512 * 1024);
    expect(config.adminEmail).toBe("a@b.c");
  });

  const bad: [string, () => unknown, RegExp][] = [
    ["port abc", () => loadConfig({ port: "abc" }, {}), /invalid port "abc"/],
    ["port too big", () => loadConfig({ port: "70000" }, {}), /expected 0 to 65535/],
    ["negative port from env", () => loadConfig({}, { SWITCHBOARD_PORT: "-1" }), /invalid port/],
    ["log format", () => loadConfig({}, { SWITCHBOARD_LOG_FORMAT: "xml" }), /log format/],
    ["trust proxy", () => loadConfig({}, { SWITCHBOARD_TRUST_PROXY: "10.0.0.0/99" }), /SWITCHBOARD_TRUST_PROXY/],
    ["boolean", () => loadConfig({}, { SWITCHBOARD_OUTBOUND_ALLOW_PRIVATE: "maybe" }), /expected true or false/],
    ["body limit", () => loadConfig({ "body-limit": "lots" }, {}), /body limit/],
    ["admin half set", () => loadConfig({}, { SWITCHBOARD_ADMIN_EMAIL: "a@b.c" }), /must be set together/],
    ["short secret", () => loadConfig({}, { SWITCHBOARD_SECRET_KEY: "short" }), /at least 32/],
    ["unknown flag", () => parseConfigFlags(["--nope"]), /nope/],
  ];
  for (const [name, fn, message] of bad) {
    test(`bad ${name} -> ConfigError with one line`, () => {
      let error: unknown;
      try {
        fn();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    });
  }

  test("sizes", () => {
    expect(parseSize("1048576", "x")).toBe(1048576);
    expect(parseSize("1mb", "x")).toBe(1048576);
    expect(parseSize("1.5 KB", "x")).toBe(1536);
    expect(() => parseSize("0", "x")).toThrow(ConfigError);
    expect(() => parseSize("2tb", "x")).toThrow(ConfigError);
  });
});

describe("prepareDataDir", () => {
  test("creates a missing dir", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "sb-cfg-")), "a", "b");
    prepareDataDir(dir);
  });

  test("a path under a regular file is refused", () => {
    const file = join(mkdtempSync(join(tmpdir(), "sb-cfg-")), "file");
    writeFileSync(file, "x");
    expect(() => prepareDataDir(join(file, "data"))).toThrow(/is not a writable directory/);
    expect(() => prepareDataDir(file)).toThrow(/is not a writable directory/);
  });

  test("a read-only location is refused", () => {
    expect(() => prepareDataDir("/proc/sb-data")).toThrow(ConfigError);
  });
});
