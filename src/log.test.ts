import { describe, expect, test } from "bun:test";
import { createLogger } from "./log";

function capture(format: "json" | "text") {
  const lines: string[] = [];
  return { lines, logger: createLogger({ format, write: (line) => lines.push(line) }) };
}

describe("createLogger", () => {
  test("json: one object per line, fixed keys first, then the fields; undefined fields left out", () => {
    const { lines, logger } = capture("json");
    logger.info("http", { method: "POST", path: '/a"b\\c\u2028', status: 200, ms: undefined, nested: { ok: [1] } });
    logger.warn("plain");
    logger.error("empty", {});
    const [first, second, third] = lines.map((line) => JSON.parse(line));
    expect(Object.keys(first)).toEqual(["time", "level", "msg", "method", "path", "status", "nested"]);
    expect(first).toMatchObject({ level: "info", msg: "http", path: '/a"b\\c\u2028', status: 200, nested: { ok: [1] } });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(second).toEqual({ time: second.time, level: "warn", msg: "plain" });
    expect(third).toEqual({ time: third.time, level: "error", msg: "empty" });
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
  });

  test("json: a message with quotes stays one valid line", () => {
    const { lines, logger } = capture("json");
    logger.info('say "hi"\n');
    expect(JSON.parse(lines[0]!).msg).toBe('say "hi"\n');
  });

  test("text: level, message, then key=value with values quoted when they need it", () => {
    const { lines, logger } = capture("text");
    logger.info("http", { path: "/a b", status: 200, ms: undefined });
    expect(lines[0]).toMatch(/^\S+ INFO  http path="\/a b" status=200$/);
  });
});
