import { describe, expect, test } from "bun:test";
import { MAX_DEPTH, REDACTED, isSecretKey, redactSecrets, truncateResult } from "./redact";

const SECRET = "sk_live_51HxAbCdEf";

describe("redactSecrets", () => {
  const cases: [string, unknown, readonly string[], unknown][] = [
    ["whole string", SECRET, [SECRET], REDACTED],
    ["inside a string", `Bearer ${SECRET} sent`, [SECRET], `Bearer ${REDACTED} sent`],
    ["every occurrence", `${SECRET}/${SECRET}`, [SECRET], `${REDACTED}/${REDACTED}`],
    ["nested in objects and arrays", { a: [{ b: `x${SECRET}y` }, 1, null, true] }, [SECRET], { a: [{ b: `x${REDACTED}y` }, 1, null, true] }],
    ["in an object key", { [`k_${SECRET}`]: 1 }, [SECRET], { [`k_${REDACTED}`]: 1 }],
    ["percent-encoded in a URL", `https://x.test/?k=${encodeURIComponent("p@ss w0rd!")}`, ["p@ss w0rd!"], `https://x.test/?k=${REDACTED}`],
    ["unicode secret", { msg: "clé: pässwörd€🔑 fin" }, ["pässwörd€🔑"], { msg: `clé: ${REDACTED} fin` }],
    ["unicode around an ASCII secret", "ünï " + SECRET + " 😀", [SECRET], `ünï ${REDACTED} 😀`],
    ["longest secret first", "abcdefgh", ["abcd", "abcdefgh"], REDACTED],
    ["overlapping secrets", "xx-abcd-efgh-yy", ["abcd-efgh", "efgh"], `xx-${REDACTED}-yy`],
    ["short secrets ignored", "a 123 b", ["123", "a", ""], "a 123 b"],
    ["no secrets: copy unchanged", { a: "b", n: 1.5 }, [], { a: "b", n: 1.5 }],
    ["numbers and booleans untouched", [1, 2.5, false], [SECRET], [1, 2.5, false]],
    ["bigint as text", { n: 12345678901234567890n }, [], { n: "12345678901234567890" }],
    ["functions dropped", { f: () => 1, s: "ok" }, [], { f: undefined, s: "ok" }],
    ["Date through toJSON", { at: new Date(0) }, [], { at: "1970-01-01T00:00:00.000Z" }],
  ];
  for (const [name, input, secrets, expected] of cases) {
    test(name, () => {
      expect(redactSecrets(input, secrets)).toEqual(expected);
    });
  }

  test("values under secret-looking keys are hidden whatever they are", () => {
    const input = {
      headers: { Authorization: "Basic dXNlcjpwYXNz", "X-API-Key": "k1", cookie: "sid=1", "content-type": "application/json" },
      body: { password: "hunter2", client_secret: "cs", access_token: { nested: true }, apiKey: 42, api_key: "k2" },
      usage: { max_tokens: 100, token_count: 7, tokens: 3 },
      empty: { token: null },
    };
    expect(redactSecrets(input, [])).toEqual({
      headers: { Authorization: REDACTED, "X-API-Key": REDACTED, cookie: REDACTED, "content-type": "application/json" },
      body: { password: REDACTED, client_secret: REDACTED, access_token: REDACTED, apiKey: REDACTED, api_key: REDACTED },
      usage: { max_tokens: 100, token_count: 7, tokens: 3 },
      empty: { token: null },
    });
  });

  const keyCases: [string, boolean][] = [
    ["authorization", true],
    ["Proxy-Authorization", true],
    ["PASSWORD", true],
    ["db_password", true],
    ["secret", true],
    ["webhookSecret", true],
    ["token", true],
    ["refresh_token", true],
    ["api_key", true],
    ["x-api-key", true],
    ["Set-Cookie", true],
    ["max_tokens", false],
    ["secret_name", false],
    ["keyboard", false],
    ["name", false],
  ];
  for (const [key, secret] of keyCases) {
    test(`isSecretKey(${key}) = ${secret}`, () => expect(isSecretKey(key)).toBe(secret));
  }

  test("verdicts are remembered per key and stay right past the memo's size and for long keys", () => {
    const long = `${"x".repeat(100)}_access_token`;
    for (let round = 0; round < 2; round++) {
      expect(isSecretKey(long)).toBe(true);
      expect(isSecretKey("refresh_token")).toBe(true);
      expect(isSecretKey("customer_id")).toBe(false);
    }
    for (let i = 0; i < 12_000; i++) expect(isSecretKey(`field_${i}`)).toBe(false);
    expect(isSecretKey("db_password")).toBe(true);
  });

  test("does not change its input", () => {
    const input = { a: { b: SECRET }, password: "x" };
    redactSecrets(input, [SECRET]);
    expect(input).toEqual({ a: { b: SECRET }, password: "x" });
  });

  test("cycles become [Circular]; shared objects are copied, not flagged", () => {
    const shared = { v: SECRET };
    const node: Record<string, unknown> = { shared, again: shared, list: [] as unknown[] };
    node.self = node;
    (node.list as unknown[]).push(node, shared);
    expect(redactSecrets(node, [SECRET])).toEqual({
      shared: { v: REDACTED },
      again: { v: REDACTED },
      list: ["[Circular]", { v: REDACTED }],
      self: "[Circular]",
    });
  });

  test("nesting is bounded", () => {
    let deep: unknown = SECRET;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    let out = redactSecrets(deep, [SECRET]);
    let depth = 0;
    while (Array.isArray(out)) {
      out = out[0];
      depth++;
    }
    expect(depth).toBe(MAX_DEPTH);
    expect(out).toBe("[MaxDepth]");
  });

  test("a throwing toJSON drops the value instead of failing", () => {
    expect(redactSecrets({ bad: { toJSON: () => { throw new Error(SECRET); } }, ok: 1 }, [SECRET])).toEqual({ bad: undefined, ok: 1 });
  });
});

describe("truncateResult", () => {
  const big = { rows: Array.from({ length: 500 }, (_, i) => ({ i, name: `row ${i}` })) };
  const bigJson = JSON.stringify(big);
  const cases: [string, unknown, number, unknown][] = [
    ["small object kept", { a: 1 }, 4096, { a: 1 }],
    ["string kept", "hello", 4096, "hello"],
    ["null kept", null, 4096, null],
    ["undefined stays undefined", undefined, 4096, undefined],
    ["exactly the limit kept", "x".repeat(8), 10, "x".repeat(8)],
    ["one over the limit cut", "x".repeat(9), 10, { truncated: true, preview: `"${"x".repeat(9)}`, bytes: 11 }],
    ["large object previewed", big, 4096, { truncated: true, preview: bigJson.slice(0, 4096), bytes: bigJson.length }],
  ];
  for (const [name, input, max, expected] of cases) {
    test(name, () => expect(truncateResult(input, max)).toEqual(expected));
  }

  test("counts UTF-8 bytes and never splits a character", () => {
    const text = "€".repeat(2000); // 3 bytes each
    const out = truncateResult(text, 100) as { truncated: true; preview: string; bytes: number };
    expect(out.bytes).toBe(2 + 6000);
    expect(out.preview).toBe(`"${"€".repeat(33)}`); // 1 + 99 bytes
    expect(Buffer.byteLength(out.preview)).toBeLessThanOrEqual(100);
    const emoji = truncateResult("😀".repeat(100), 7) as { preview: string };
    expect(emoji.preview).toBe('"😀'); // 1 + 4 bytes; the next 4 would not fit
  });

  test("a multi-byte value under the char limit but over the byte limit is cut", () => {
    expect(truncateResult("ééééé", 8)).toEqual({ truncated: true, preview: '"ééé', bytes: 12 });
  });
});
