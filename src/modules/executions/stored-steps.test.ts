import { describe, expect, test } from "bun:test";
import { randomBase62 } from "../../secrets";
import { REDACTED } from "./redact";
import { sanitizeSteps } from "./sanitize";
import { storedAsIs, storedSteps } from "./stored-steps";
import type { StepRecord } from "./types";

const MAX = 4096;
const SECRET = "whsec_9f8e7d6c5b4a";

/** What sanitize.ts says is stored, for steps that went through JSON on the way. */
const reference = (steps: unknown, secrets: readonly string[], max = MAX) =>
  JSON.stringify(sanitizeSteps(JSON.parse(JSON.stringify(steps)) as StepRecord[], secrets, max));

const queryResult = Array.from({ length: 10 }, (_, i) => ({
  id: `rec_01m94k0khgwqjtkfsa2msadh4${i}`,
  created_at: "2026-12-06T02:30:32.240Z",
  customer_id: "c_637",
  total: 637.5,
  status: "open",
  tags: ["a", "é😀"],
}));
const queryStep = { index: 0, type: "query_records", status: "completed", duration_ms: 0.047, result: queryResult };

describe("storedSteps", () => {
  test("steps with nothing to hide, cut or clip are stored as the text they came as", () => {
    const text = JSON.stringify([queryStep, { index: 1, type: "transform", status: "failed", duration_ms: 1, name: "shape it", error: { code: "X", message: "no" } }]);
    expect(storedAsIs(text, JSON.parse(text), [SECRET], MAX)).toBe(true);
    expect(storedSteps(text, [SECRET], MAX)).toBe(text);
  });

  const hidden: [string, unknown, string[]?][] = [
    ["a credential value", { said: `got ${SECRET}` }, [SECRET]],
    ["a percent-encoded credential", { url: `q${encodeURIComponent("p@ss word!")}` }, ["p@ss word!"]],
    ["a credential JSON escapes, inside text", { said: 'a "quoted\\ secret' }, ['"quoted\\ secret']],
    ["a Switchboard API key", { k: `sb_${randomBase62(32)}` }],
    ["a session token", { k: `sbs_${randomBase62(40)}` }],
    ["a name=value pair", { q: "user=bob&password=hunter2" }],
    ["a secret-looking key", { rows: [{ api_key: "abc" }] }],
    ["JSON text in a string", { body: '{"password":"x"}' }],
    ["JSON text after whitespace", { body: '\t {"token":"x"}' }],
    ["nesting redaction cuts", JSON.parse(`${"[".repeat(40)}1${"]".repeat(40)}`)],
    ["a result over the preview size", { big: "y".repeat(MAX) }],
  ];
  for (const [what, result, secrets = []] of hidden) {
    test(`${what} takes the full path, and is stored as sanitizeRecord would`, () => {
      const steps = [{ ...queryStep, result }];
      const text = JSON.stringify(steps);
      expect(storedAsIs(text, JSON.parse(text), secrets, MAX)).toBe(false);
      const stored = storedSteps(text, secrets, MAX);
      expect(stored).toBe(reference(steps, secrets));
      expect(stored).not.toBe(text);
    });
  }

  test("step fields sanitizeRecord rebuilds take the full path: long names and messages, odd errors, other keys and order", () => {
    const odd = [
      { ...queryStep, name: "n".repeat(2001) },
      { index: 0, type: "t", status: "failed", duration_ms: 0, error: { code: "X", message: "m".repeat(2001) } },
      { index: 0, type: "t", status: "failed", duration_ms: 0, error: null },
      { index: 0, type: "t", status: "failed", duration_ms: 0, error: { message: "m", code: "X" } },
      { index: 0, type: "t", status: "failed", duration_ms: 0, error: { code: 500, message: "m" } },
      { index: 0, type: "t", status: "completed", duration_ms: 0, extra: 1 },
      { type: "t", index: 0, status: "completed", duration_ms: 0 },
    ];
    for (const step of odd) {
      const text = JSON.stringify([step]);
      expect(storedAsIs(text, JSON.parse(text), [], MAX)).toBe(false);
      expect(storedSteps(text, [], MAX)).toBe(reference([step], []));
    }
  });

  test("text that is not a list of steps throws, as sanitizeRecord does", () => {
    expect(() => storedSteps("{", [], MAX)).toThrow();
    expect(() => storedSteps('{"index":0}', [], MAX)).toThrow();
  });

  test("on generated steps, what is stored is exactly what sanitizeRecord stores, by either path", () => {
    let seed = 20261206;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const secrets = [SECRET, 'with "quote', "sp ce&more", "é😀long", "abc"];
    const strings = [
      "plain", "", "two words", "a=b", "x&y", `sb_${randomBase62(32)}`, `sbs_${randomBase62(40)}`, "sb_short", '{"password":"p"}', "[1,2]", " [3]", "\n{}",
      "{not json", SECRET, encodeURIComponent("sp ce&more"), 'with "quote', "é😀long text", "\ud800 lone", 'quote " and \\ backslash', "y".repeat(3000),
      "token: abc", "line\nbreak", "__proto__",
    ];
    const keys = ["id", "status", "password", "api_key", "max_tokens", "token_count", "__proto__", "0", "10", "a b", "é", "Authorization", "nested"];
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 36 || roll < 0.35) return pick<unknown>([pick(strings), 42, -0.5, 1e21, true, null]);
      if (roll < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1 + Math.floor(random() * 6)));
      const node: Record<string, unknown> = {};
      for (let n = Math.floor(random() * 5); n > 0; n--) {
        const key = pick(keys);
        if (key === "__proto__") Object.defineProperty(node, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        else node[key] = value(depth + 1 + Math.floor(random() * 6));
      }
      return node;
    };
    const step = (index: number): Record<string, unknown> => {
      const s: Record<string, unknown> = { index, type: pick(["transform", "query_records", "http_request"]), status: pick(["completed", "failed", "skipped"]), duration_ms: random() * 10 };
      if (random() < 0.3) s.name = pick(strings);
      if (random() < 0.8) s.result = value(0);
      if (random() < 0.2) s.error = pick<unknown>([{ code: "UPSTREAM_ERROR", message: pick(strings) }, { code: "X", message: "m".repeat(2500) }, null]);
      return s;
    };
    let asIs = 0;
    const runs = 3000;
    for (let i = 0; i < runs; i++) {
      const steps = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, n) => step(n));
      const callSecrets = random() < 0.5 ? [] : [pick(secrets), pick(secrets)];
      const max = pick([MAX, 200]);
      const text = JSON.stringify(steps);
      if (storedAsIs(text, JSON.parse(text), callSecrets, max)) asIs++;
      expect(storedSteps(text, callSecrets, max)).toBe(reference(steps, callSecrets, max));
    }
    // Both paths were taken often enough for the comparison to mean something.
    expect(asIs).toBeGreaterThan(runs * 0.1);
    expect(asIs).toBeLessThan(runs * 0.9);
  });

  test("what the full path hides stays hidden", () => {
    const text = JSON.stringify([{ ...queryStep, result: { password: "hunter2", note: `key ${SECRET}` } }]);
    const stored = storedSteps(text, [SECRET], MAX);
    expect(stored).not.toContain("hunter2");
    expect(stored).not.toContain(SECRET);
    expect(JSON.parse(stored)[0].result).toEqual({ password: REDACTED, note: `key ${REDACTED}` });
  });
});
