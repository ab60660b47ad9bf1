import { describe, expect, test } from "bun:test";
import { randomBase62 } from "../../secrets";
import { API_KEY_PATTERN, SESSION_TOKEN_PATTERN } from "../auth/access";
import { generateApiKey } from "../keys/service";
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
    ["pwd", true],
    ["PWD", true],
    ["passphrase", true],
    ["key_passphrase", true],
    ["private_key", true],
    ["sshPrivateKey", true],
    ["secret_key", true],
    ["aws_secret_access_key", true],
    ["client_secret", true],
    ["credentials", true],
    ["credential", true],
    ["max_tokens", false],
    ["token_count", false],
    ["oldpwd", false],
    ["credential_id", false],
    ["public_key", false],
    ["access_key_id", false],
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

describe("Switchboard tokens are hidden whoever's they are", () => {
  const KEY = generateApiKey();
  const SESSION = `sbs_${randomBase62(40)}`;

  test("the fixtures are real token formats", () => {
    expect(API_KEY_PATTERN.test(KEY)).toBe(true);
    expect(SESSION_TOKEN_PATTERN.test(SESSION)).toBe(true);
  });

  const cases: [string, () => unknown, () => unknown][] = [
    ["an API key alone", () => KEY, () => REDACTED],
    ["a session token alone", () => SESSION, () => REDACTED],
    ["in a list", () => ({ list: [SESSION, "ok"] }), () => ({ list: [REDACTED, "ok"] })],
    ["inside text", () => `Bearer ${KEY}, then ${SESSION}.`, () => `Bearer ${REDACTED}, then ${REDACTED}.`],
    ["in a query string", () => `/x?key=${KEY}&t=${SESSION}`, () => `/x?key=${REDACTED}&t=${REDACTED}`],
    ["in a JSON-quoted value", () => `said "${KEY}"`, () => `said "${REDACTED}"`],
    ["after an underscore", () => `my_${KEY}`, () => `my_${REDACTED}`],
    ["in an object key", () => ({ [`k:${SESSION}`]: 1 }), () => ({ [`k:${REDACTED}`]: 1 })],
    ["a longer run is hidden whole", () => `${KEY}EXTRA more`, () => `${REDACTED} more`],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => expect(redactSecrets(input(), [])).toEqual(expected()));
  }

  const ordinary = [
    "sb_",
    "sbs_",
    "sbs_x",
    "absbs_",
    `absbs_${"a".repeat(40)}`,
    `xsb_${"a".repeat(32)}`,
    `sb_${"a".repeat(31)}`,
    `sbs_${"a".repeat(39)}`,
    `sb_${"a".repeat(31)}-${"b".repeat(8)}`,
    "sb_data/plugins",
    "max_tokens",
    "sbs_session_id",
    "SB_" + "A".repeat(32),
  ];
  for (const text of ordinary) {
    test(`ordinary text stays: ${text.length > 20 ? `${text.slice(0, 20)}…` : text}`, () => {
      expect(redactSecrets(text, [])).toBe(text);
      expect(redactSecrets({ [text]: text }, [])).toEqual({ [text]: text });
    });
  }

  test("usage figures stay visible", () => {
    const usage = { max_tokens: 100, token_count: 7, tokens: 3, total_tokens: 9 };
    expect(redactSecrets(usage, [])).toEqual(usage);
  });
});

describe("strings that are JSON text", () => {
  test("secret-looking keys inside are hidden and the text re-serialized", () => {
    const text = JSON.stringify({ user: "ann", password: "hunter2secret", nested: { pwd: "p12345", list: [1, { api_key: "k" }] } }, null, 2);
    const out = redactSecrets({ txt: text }, []) as { txt: string };
    expect(JSON.parse(out.txt)).toEqual({ user: "ann", password: REDACTED, nested: { pwd: REDACTED, list: [1, { api_key: REDACTED }] } });
    expect(out.txt).not.toContain("hunter2secret");
    expect(out.txt).not.toContain("p12345");
  });

  test("an array, with leading and trailing whitespace", () => {
    expect(redactSecrets(' \n [{"token":"t0k3n"}, "x"]\t', [])).toBe(`[{"token":"${REDACTED}"},"x"]`);
  });

  test("tokens and credential values inside JSON text", () => {
    const key = generateApiKey();
    expect(redactSecrets(`{"a":"${key}","b":"my-cred-value"}`, ["my-cred-value"])).toBe(`{"a":"${REDACTED}","b":"${REDACTED}"}`);
  });

  test("a secret that JSON escapes is still found", () => {
    const secret = 'p"ss\\w0rd';
    expect(redactSecrets(JSON.stringify({ v: `x ${secret}` }), [secret])).toBe(`{"v":"x ${REDACTED}"}`);
  });

  test("JSON text inside JSON text", () => {
    const inner = JSON.stringify({ secret: "s3cr3t-value" });
    const outer = JSON.stringify({ wrapped: inner });
    const out = redactSecrets(outer, []) as string;
    expect(out).not.toContain("s3cr3t-value");
    expect(JSON.parse(JSON.parse(out).wrapped)).toEqual({ secret: REDACTED });
  });

  test("JSON text with nothing to hide is kept as written", () => {
    const text = '{ "a": 1.0,\n  "big": 12345678901234567890, "max_tokens": 5 }';
    expect(redactSecrets(text, [])).toBe(text);
  });

  const notJson: [string, string][] = [
    ["broken JSON keeps the text rules", '{"password": "hunter2secret", oops'],
    ["a bracketed log line", "[INFO] user=bob [done]"],
    ["braces in prose", "{not json at all}"],
    ["JSON text that is a string, not an object", '"{\"password\":\"x\"}"'],
  ];
  for (const [name, text] of notJson) {
    test(`${name}: unchanged`, () => expect(redactSecrets(text, [])).toBe(text));
  }

  test("broken JSON still gets tokens and credential values hidden", () => {
    const key = generateApiKey();
    expect(redactSecrets(`{"k": "${key}", "c": "cred-1234",`, ["cred-1234"])).toBe(`{"k": "${REDACTED}", "c": "${REDACTED}",`);
  });

  test("an own __proto__ key is kept as data", () => {
    const out = redactSecrets(JSON.parse('{"__proto__": {"password": "x", "a": 1}}'), []) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe(`{"__proto__":{"password":"${REDACTED}","a":1}}`);
  });

  test("JSON text nested ten times over", () => {
    let text = JSON.stringify({ password: "deep-secret" });
    for (let i = 0; i < 10; i++) text = JSON.stringify({ s: text });
    expect(redactSecrets(text, [])).not.toContain("deep-secret");
  });

  test("nesting inside JSON text counts towards the bound", () => {
    const text = `${"[".repeat(40)}{"password":"deep-secret"}${"]".repeat(40)}`;
    const out = redactSecrets({ txt: text }, []) as { txt: string };
    expect(out.txt).toBe(`${"[".repeat(MAX_DEPTH - 1)}"[MaxDepth]"${"]".repeat(MAX_DEPTH - 1)}`);
  });
});

describe("the reported case: a transform of the request body", () => {
  test("tokens in lists, `pwd`, and passwords inside {{json}} text are all hidden", () => {
    const callerKey = generateApiKey();
    const session = `sbs_${randomBase62(40)}`;
    const body = { list: [session], nested: { pwd: "audit password 12345" }, password: "hunter2secret" };
    // What the transform `{"b":"{{request.body}}","txt":"{{json request.body}}"}` returns.
    const result = { b: body, txt: JSON.stringify(body) };
    const out = redactSecrets(result, [callerKey]) as { b: unknown; txt: string };
    expect(out.b).toEqual({ list: [REDACTED], nested: { pwd: REDACTED }, password: REDACTED });
    expect(JSON.parse(out.txt)).toEqual({ list: [REDACTED], nested: { pwd: REDACTED }, password: REDACTED });
    const stored = JSON.stringify(out);
    for (const secret of [session, "audit password 12345", "hunter2secret"]) expect(stored).not.toContain(secret);
  });
});

describe("name=value pairs in text", () => {
  const cases: [string, string, string][] = [
    ["a query string", "/login?user=bob&password=hunter2&next=%2F", "/login?user=bob&password=[REDACTED]&next=%2F"],
    ["a form body", "user=bob&pwd=hunter2", "user=bob&pwd=[REDACTED]"],
    ["form array names", "user[name]=bob&user[password]=hunter2", "user[name]=bob&user[password]=[REDACTED]"],
    ["a cookie header", "sid=abc; access_token=eyJhbGciOi; theme=dark", "sid=abc; access_token=[REDACTED]; theme=dark"],
    ["a bracketed log line (not JSON, so the text rules)", "[INFO] password=hunter2secret [done]", "[INFO] password=[REDACTED] [done]"],
    ["env-style lines", "HOST=db\nDB_PASSWORD=hunter2\nPORT=5432", "HOST=db\nDB_PASSWORD=[REDACTED]\nPORT=5432"],
    ["any case and separator", "Api-Key=k1 X_API_KEY=k2 clientSecret=k3", "Api-Key=[REDACTED] X_API_KEY=[REDACTED] clientSecret=[REDACTED]"],
  ];
  for (const [name, text, expected] of cases) test(name, () => expect(redactSecrets(text, [])).toBe(expected));

  const kept = [
    "max_tokens=512&token_count=3",
    "a=b&c=d",
    "x == y",
    "password=",
    "the password = hunter2 is not a pair", // spaces around '=': prose, not a pair
    "mypassword_hint=blue", // the name ends in _hint, not in a secret word
  ];
  for (const text of kept) test(`kept: ${text}`, () => expect(redactSecrets(text, [])).toBe(text));

  test("inside a result, in object keys' values and in JSON text alike", () => {
    const out = redactSecrets({ raw: "user=bob&password=hunter2", nested: [{ q: "token=abc123" }] }, []);
    expect(out).toEqual({ raw: "user=bob&password=[REDACTED]", nested: [{ q: "token=[REDACTED]" }] });
    expect(JSON.stringify(out)).not.toContain("hunter2");
  });

  test("a long text without pairs, or with a million '=', is handled in one pass", () => {
    // Linear: a backtracking blow-up here would take minutes, not milliseconds.
    const noise = "a".repeat(200_000) + "=".repeat(200_000) + "password=".repeat(20_000) + "x";
    const out = redactSecrets(noise, []) as string;
    expect(out.endsWith("password=x")).toBe(false);
    expect(out.endsWith(`password=${REDACTED}`)).toBe(true);
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
