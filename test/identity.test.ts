import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN, createIdentityTestApp, type TestApp } from "./helpers/app";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createIdentityTestApp();
  admin = await t.login(ADMIN.email, ADMIN.password);
});
afterAll(() => t.close());

const createKey = async (token: string, body: Record<string, unknown> = {}) => {
  const res = await t.request("POST", "/api/v1/keys", { token, body: { name: "test key", ...body } });
  if (res.status !== 201) throw new Error(`key create failed: ${res.status} ${res.text}`);
  return res.json.data as { id: string; key: string; prefix: string };
};

const createUser = async (roles: string[], email = `${roles.join("-")}-${crypto.randomUUID().slice(0, 8)}@example.com`) => {
  const res = await t.request("POST", "/api/v1/users", { token: admin, body: { email, password: "password-123", roles } });
  expect(res.status).toBe(201);
  return { id: res.json.data.id as string, email, token: await t.login(email, "password-123") };
};

describe("login, sessions, me", () => {
  test("a wrong password and an unknown email get the same 401", async () => {
    const wrong = await t.request("POST", "/api/v1/auth/login", { body: { email: ADMIN.email, password: "nope-nope" } });
    const unknown = await t.request("POST", "/api/v1/auth/login", { body: { email: "ghost@example.com", password: "nope-nope" } });
    const injected = await t.request("POST", "/api/v1/auth/login", { body: { email: "' or 1=1 --", password: "' or 1=1 --" } });
    for (const res of [wrong, unknown, injected]) {
      expect(res.status).toBe(401);
      expect(res.json.error).toEqual({ code: "UNAUTHORIZED", message: "Invalid email or password" });
    }
  });

  test("email is case-insensitive; the answer has the token, the user and no password hash", async () => {
    const res = await t.request("POST", "/api/v1/auth/login", { body: { email: "ADMIN@Example.com", password: ADMIN.password } });
    expect(res.status).toBe(200);
    expect(res.json.data.token).toMatch(/^sbs_[0-9A-Za-z]{40}$/);
    expect(res.json.data.user.email).toBe(ADMIN.email);
    expect(res.text).not.toContain("argon2");
    expect(res.text).not.toContain("password");
  });

  test("/auth/me resolves the principal of a session and of a key alike", async () => {
    const me = await t.request("GET", "/api/v1/auth/me", { token: admin });
    expect(me.status).toBe(200);
    const principal = me.json.data.principal;
    expect(principal).toMatchObject({ email: ADMIN.email, roles: ["owner"] });
    expect(principal.key_id).toBeUndefined();
    const key = await createKey(admin);
    const viaKey = await t.request("GET", "/api/v1/auth/me", { token: key.key });
    expect(viaKey.json.data.principal).toEqual({ ...principal, key_id: key.id });
    await t.request("DELETE", `/api/v1/keys/${key.id}`, { token: admin });
  });

  test("missing, malformed and unknown tokens -> 401", async () => {
    const cases: Record<string, string>[] = [{}, { authorization: "Basic abc" }, { authorization: "Bearer " }, { authorization: "Bearer sb_short" }, { authorization: `Bearer sb_${"a".repeat(32)}` }, { authorization: `Bearer sbs_${"a".repeat(40)}` }];
    for (const headers of cases) {
      const res = await t.request("GET", "/api/v1/account", { headers });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("UNAUTHORIZED");
    }
  });

  test("logout ends the session at once; an API key cannot log out", async () => {
    const token = await t.login(ADMIN.email, ADMIN.password);
    expect((await t.request("GET", "/api/v1/account", { token })).status).toBe(200);
    expect((await t.request("POST", "/api/v1/auth/logout", { token })).status).toBe(200);
    expect((await t.request("GET", "/api/v1/account", { token })).status).toBe(401);
    const key = await createKey(admin);
    expect((await t.request("POST", "/api/v1/auth/logout", { token: key.key })).status).toBe(400);
    await t.request("DELETE", `/api/v1/keys/${key.id}`, { token: admin });
  });
});

describe("API keys", () => {
  test("the secret is shown once, never listed, and stored only as its SHA-256", async () => {
    const created = await createKey(admin, { name: "zoë's \"quoted\" key ' or 1=1 --" });
    expect(created.key).toMatch(/^sb_[0-9A-Za-z]{32}$/);
    expect(created.prefix).toBe(created.key.slice(0, 9));
    const list = await t.request("GET", "/api/v1/keys", { token: admin });
    const get = await t.request("GET", `/api/v1/keys/${created.id}`, { token: admin });
    const hash = new Bun.CryptoHasher("sha256").update(created.key).digest("hex");
    for (const res of [list, get]) {
      expect(res.text).not.toContain(created.key);
      expect(res.text).not.toContain(hash);
      expect(res.text).not.toContain("key_hash");
    }
    expect(list.json.data.find((k: { id: string }) => k.id === created.id).name).toBe("zoë's \"quoted\" key ' or 1=1 --");
    const stored = t.db.sqlite.query("SELECT * FROM api_keys").all();
    expect(JSON.stringify(stored)).not.toContain(created.key);
    expect(JSON.stringify(stored)).toContain(hash);
    await t.request("DELETE", `/api/v1/keys/${created.id}`, { token: admin });
  });

  test("a revoked key is refused on the very next request", async () => {
    const { id, key } = await createKey(admin);
    expect((await t.request("GET", "/api/v1/account", { token: key })).status).toBe(200); // now cached
    const revoke = await t.request("DELETE", `/api/v1/keys/${id}`, { token: admin });
    expect(revoke.status).toBe(200);
    expect(revoke.json.data.revoked_at).not.toBeNull();
    const after = await t.request("GET", "/api/v1/account", { token: key });
    expect(after.status).toBe(401);
    expect(after.json.error.message).toBe("API key revoked");
  });

  test("an expired key is refused", async () => {
    const { id, key } = await createKey(admin, { expires_at: new Date(Date.now() + 400).toISOString() });
    expect((await t.request("GET", "/api/v1/account", { token: key })).status).toBe(200);
    await Bun.sleep(450);
    const after = await t.request("GET", "/api/v1/account", { token: key });
    expect(after.status).toBe(401);
    expect(after.json.error.message).toBe("API key expired");
    await t.request("DELETE", `/api/v1/keys/${id}`, { token: admin });
  });

  test("bad key definitions -> 400 naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ expires_at: "2001-01-01T00:00:00Z" }, "expires_at"],
      [{ ip_allowlist: ["10.0.0.0/33"] }, "ip_allowlist"],
      [{ ip_allowlist: ["' or 1=1 --"] }, "ip_allowlist"],
      [{ scopes: ["root"] }, "scopes"],
      [{ plan: "__proto__" }, "plan"],
      [{ refill: { amount: 5, interval: "day" } }, "refill"],
    ];
    for (const [body, field] of cases) {
      const res = await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "bad", ...body } });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
      expect(JSON.stringify(res.json.error)).toContain(field);
    }
    const noName = await t.request("POST", "/api/v1/keys", { token: admin, body: {} });
    expect(noName.status).toBe(400);
  });

  test("the 11th active key is refused; revoking one frees a slot", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await createKey(admin, { name: `k${i}` })).id);
    const eleventh = await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "k10" } });
    expect(eleventh.status).toBe(409);
    expect(eleventh.json.error.code).toBe("CONFLICT");
    await t.request("DELETE", `/api/v1/keys/${ids.pop()}`, { token: admin });
    ids.push((await createKey(admin, { name: "k10" })).id);
    for (const id of ids) await t.request("DELETE", `/api/v1/keys/${id}`, { token: admin });
  });

  test("concurrent creates never pass the limit", async () => {
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => t.request("POST", "/api/v1/keys", { token: admin, body: { name: `c${i}` } })));
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBe(10);
    expect(results.filter((r) => r.status === 409).length).toBe(15);
    for (const r of created) await t.request("DELETE", `/api/v1/keys/${r.json.data.id}`, { token: admin });
  });

  test("an invoke-only key cannot use the management API", async () => {
    const { id, key } = await createKey(admin, { scopes: ["invoke"] });
    const res = await t.request("GET", "/api/v1/account", { token: key });
    expect(res.status).toBe(403);
    expect(res.json.error.message).toContain("manage");
    await t.request("DELETE", `/api/v1/keys/${id}`, { token: admin });
  });

  test("a metered key stops when its uses run out", async () => {
    const { id, key } = await createKey(admin, { remaining: 2 });
    const first = await t.request("GET", "/api/v1/account", { token: key });
    expect(first.headers.get("x-key-remaining")).toBe("1");
    expect((await t.request("GET", "/api/v1/account", { token: key })).status).toBe(200);
    const third = await t.request("GET", "/api/v1/account", { token: key });
    expect(third.status).toBe(429);
    expect(third.json.error.message).toContain("no remaining uses");
    await t.request("DELETE", `/api/v1/keys/${id}`, { token: admin });
  });

  test("last_used_at is batched, not written per request", async () => {
    const { id, key } = await createKey(admin);
    t.services.usage.flush();
    await t.request("GET", "/api/v1/account", { token: key });
    const column = () => t.db.sqlite.query<{ last_used_at: number | null }, [string]>("SELECT last_used_at FROM api_keys WHERE id = ?").get(id)!.last_used_at;
    expect(column()).toBeNull();
    const shown = await t.request("GET", `/api/v1/keys/${id}`, { token: admin });
    expect(shown.json.data.last_used_at).not.toBeNull(); // the pending use is shown already
    t.services.usage.flush();
    expect(column()).toBeNumber();
    await t.request("DELETE", `/api/v1/keys/${id}`, { token: admin });
  });
});

describe("roles", () => {
  test("a member manages only their own keys and no users", async () => {
    const member = await createUser(["member"]);
    const adminKey = await createKey(admin, { name: "admin's" });
    const own = await createKey(member.token, { name: "member's" });
    const list = await t.request("GET", "/api/v1/keys", { token: member.token });
    expect(list.json.data.map((k: { id: string }) => k.id)).toEqual([own.id]);
    expect((await t.request("GET", `/api/v1/keys/${adminKey.id}`, { token: member.token })).status).toBe(404);
    expect((await t.request("DELETE", `/api/v1/keys/${adminKey.id}`, { token: member.token })).status).toBe(404);
    expect((await t.request("GET", "/api/v1/account", { token: adminKey.key })).status).toBe(200); // still alive
    expect((await t.request("GET", "/api/v1/users", { token: member.token })).status).toBe(403);
    expect((await t.request("POST", "/api/v1/users", { token: member.token, body: { email: "x@example.com", password: "password-123" } })).status).toBe(403);
    expect((await t.request("PATCH", `/api/v1/users/${member.id}`, { token: member.token, body: { roles: ["owner"] } })).status).toBe(403);
    expect((await t.request("GET", "/api/v1/accounts", { token: member.token })).status).toBe(403);
    expect((await t.request("PATCH", "/api/v1/account", { token: member.token, body: { name: "mine now" } })).status).toBe(403);
    const adminSees = await t.request("GET", "/api/v1/keys", { token: admin });
    expect(adminSees.json.data.map((k: { id: string }) => k.id)).toContain(own.id);
    for (const id of [adminKey.id, own.id]) await t.request("DELETE", `/api/v1/keys/${id}`, { token: admin });
  });

  test("an admin manages users but cannot touch owners or grant owner", async () => {
    const accountAdmin = await createUser(["admin"]);
    const me = await t.request("GET", "/api/v1/auth/me", { token: admin });
    const ownerId = me.json.data.user.id;
    expect((await t.request("PATCH", `/api/v1/users/${ownerId}`, { token: accountAdmin.token, body: { disabled: true } })).status).toBe(403);
    expect((await t.request("POST", "/api/v1/users", { token: accountAdmin.token, body: { email: "o2@example.com", password: "password-123", roles: ["owner"] } })).status).toBe(403);
    const created = await t.request("POST", "/api/v1/users", { token: accountAdmin.token, body: { email: "m2@example.com", password: "password-123" } });
    expect(created.status).toBe(201);
    expect(created.json.data.roles).toEqual(["member"]);
  });

  test("the last owner cannot be demoted or disabled; a duplicate email is a conflict", async () => {
    const me = await t.request("GET", "/api/v1/auth/me", { token: admin });
    const ownerId = me.json.data.user.id;
    const other = await createUser(["admin"]);
    const demote = await t.request("PATCH", `/api/v1/users/${ownerId}`, { token: admin, body: { roles: ["admin"] } });
    expect(demote.status).toBe(409);
    expect((await t.request("PATCH", `/api/v1/users/${ownerId}`, { token: admin, body: { disabled: true } })).status).toBe(409);
    const dup = await t.request("POST", "/api/v1/users", { token: admin, body: { email: other.email.toUpperCase(), password: "password-123" } });
    expect(dup.status).toBe(409);
  });

  test("a disabled user's session and keys die at once", async () => {
    const member = await createUser(["member"]);
    const key = await createKey(member.token);
    expect((await t.request("GET", "/api/v1/account", { token: member.token })).status).toBe(200);
    expect((await t.request("GET", "/api/v1/account", { token: key.key })).status).toBe(200);
    const disable = await t.request("DELETE", `/api/v1/users/${member.id}`, { token: admin });
    expect(disable.status).toBe(200);
    expect(disable.json.data.disabled).toBe(true);
    expect((await t.request("GET", "/api/v1/account", { token: member.token })).status).toBe(401);
    expect((await t.request("GET", "/api/v1/account", { token: key.key })).status).toBe(401);
    const relogin = await t.request("POST", "/api/v1/auth/login", { body: { email: member.email, password: "password-123" } });
    expect(relogin.status).toBe(401);
  });
});

describe("accounts, plans and credits", () => {
  let account: { id: string; slug: string };
  let ownerToken: string;
  beforeAll(async () => {
    const res = await t.request("POST", "/api/v1/accounts", {
      token: admin,
      body: { slug: "acme", name: "Acme", plan: "free", owner: { email: "owner@acme.test", password: "acme-password" } },
    });
    expect(res.status).toBe(201);
    account = res.json.data;
    ownerToken = await t.login("owner@acme.test", "acme-password");
  });

  test("instance admins create and list accounts; a slug is unique", async () => {
    const list = await t.request("GET", "/api/v1/accounts", { token: admin });
    expect(list.json.data.map((a: { slug: string }) => a.slug)).toEqual(["default", "acme"]);
    expect(list.json.meta).toEqual({ page: 1, limit: 50, total: 2 });
    const dup = await t.request("POST", "/api/v1/accounts", { token: admin, body: { slug: "acme", owner: { email: "x@acme.test", password: "acme-password" } } });
    expect(dup.status).toBe(409);
    const badSlug = await t.request("POST", "/api/v1/accounts", { token: admin, body: { slug: "Acme Inc'; --", owner: { email: "y@acme.test", password: "acme-password" } } });
    expect(badSlug.status).toBe(400);
    expect((await t.request("GET", "/api/v1/accounts", { token: ownerToken })).status).toBe(403);
  });

  test("an owner renames the account but cannot change its plan or credits", async () => {
    const rename = await t.request("PATCH", "/api/v1/account", { token: ownerToken, body: { name: "Acme Corp" } });
    expect(rename.status).toBe(200);
    expect(rename.json.data.name).toBe("Acme Corp");
    expect((await t.request("PATCH", "/api/v1/account", { token: ownerToken, body: { plan: "unlimited" } })).status).toBe(403);
    expect((await t.request("PATCH", "/api/v1/account", { token: ownerToken, body: { credits: null } })).status).toBe(403);
  });

  test("on the free plan the 61st request within a minute gets 429 with Retry-After", async () => {
    const key = await createKey(ownerToken);
    const remaining: number[] = [];
    for (let i = 0; i < 60; i++) {
      const res = await t.request("GET", "/api/v1/account", { token: key.key });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBe("60");
      expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000 - 1);
      remaining.push(Number(res.headers.get("x-ratelimit-remaining")));
    }
    expect(remaining).toEqual(Array.from({ length: 60 }, (_, i) => 59 - i));
    const limited = await t.request("GET", "/api/v1/account", { token: key.key });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe("RATE_LIMITED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    // another key of the same account has its own counter
    const other = await createKey(ownerToken);
    expect((await t.request("GET", "/api/v1/account", { token: other.key })).status).toBe(200);
  });

  test("a key may carry a lower plan; only instance admins may raise it", async () => {
    const higher = await t.request("POST", "/api/v1/keys", { token: ownerToken, body: { name: "vip", plan: "pro" } });
    expect(higher.status).toBe(403);
    const lower = await t.request("POST", "/api/v1/keys", { token: ownerToken, body: { name: "tiny", plan: "free" } });
    expect(lower.status).toBe(201);
  });

  test("credits are spent atomically; too few -> 402 and nothing taken", async () => {
    const set = await t.request("PATCH", `/api/v1/accounts/${account.id}`, { token: admin, body: { credits: 5 } });
    expect(set.json.data.credits).toBe(5);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async () => {
        try {
          t.services.accounts.spendCredits(account.id, 1);
          return "spent";
        } catch (error) {
          return (error as { code: string }).code;
        }
      }),
    );
    expect(outcomes.filter((o) => o === "spent").length).toBe(5);
    expect(outcomes.filter((o) => o === "INSUFFICIENT_CREDITS").length).toBe(7);
    expect(() => t.services.accounts.spendCredits(account.id, 3)).toThrow(expect.objectContaining({ status: 402 }));
    const after = await t.request("GET", "/api/v1/account", { token: ownerToken });
    expect(after.json.data.credits).toBe(0);
    expect(t.services.accounts.spendCredits(t.services.accounts.bySlug("default")!.id, 10)).toBeNull(); // unlimited
  });

  test("a disabled account answers 403 to every key and session", async () => {
    const acmeKey = await t.request("POST", "/api/v1/keys", { token: ownerToken, body: { name: "before" } });
    expect((await t.request("PATCH", `/api/v1/accounts/${account.id}`, { token: admin, body: { active: false } })).status).toBe(200);
    for (const token of [ownerToken, acmeKey.json.data.key]) {
      const res = await t.request("GET", "/api/v1/auth/me", { token });
      expect(res.status).toBe(403);
      expect(res.json.error.message).toBe("Account is disabled");
    }
    const login = await t.request("POST", "/api/v1/auth/login", { body: { email: "owner@acme.test", password: "acme-password" } });
    expect(login.status).toBe(403);
    expect((await t.request("PATCH", "/api/v1/account", { token: admin, body: { active: false } })).status).toBe(409); // not your own
  });

  test("an account allowlist refuses callers from elsewhere (no socket address here)", async () => {
    const res = await t.request("POST", "/api/v1/accounts", {
      token: admin,
      body: { slug: "locked", ip_allowlist: ["10.0.0.0/8"], owner: { email: "owner@locked.test", password: "locked-password" } },
    });
    expect(res.status).toBe(201);
    const token = await t.login("owner@locked.test", "locked-password");
    const me = await t.request("GET", "/api/v1/auth/me", { token });
    expect(me.status).toBe(403);
    expect(me.json.error.message).toContain("IP");
  });
});

describe("login throttling", () => {
  test("login attempts are rate-limited per client IP", async () => {
    const fresh = await createIdentityTestApp({ loginAttemptsPerMinute: 5 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await fresh.request("POST", "/api/v1/auth/login", { body: { email: ADMIN.email, password: `guess-${i}` } });
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
      const right = await fresh.request("POST", "/api/v1/auth/login", { body: { email: ADMIN.email, password: ADMIN.password } });
      expect(right.status).toBe(429); // even the right password waits: guessing must not be confirmable
    } finally {
      fresh.close();
    }
  });
});
