import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { fromSource, runCommand, startServerProcess, tempDir, type ServerProcess } from "./helpers/process";

const ADMIN = { email: "root@example.com", password: "very secret password" };
const adminEnv = { SWITCHBOARD_ADMIN_EMAIL: ADMIN.email, SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password };

async function call(url: string, init: RequestInit & { token?: string; json?: unknown } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(url, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
  return { status: res.status, headers: res.headers, json: (await res.json().catch(() => undefined)) as any };
}

async function login(base: string) {
  const res = await call(`${base}/api/v1/auth/login`, { method: "POST", json: ADMIN });
  expect(res.status).toBe(200);
  return res.json.data.token as string;
}

async function createKey(base: string, token: string, body: Record<string, unknown>) {
  const res = await call(`${base}/api/v1/keys`, { method: "POST", token, json: { name: "k", ...body } });
  expect(res.status).toBe(201);
  return res.json.data.key as string;
}

describe("over real sockets (IPv4 and IPv6)", () => {
  let server: ServerProcess;
  let v4: string;
  let v6: string;
  let token: string;
  beforeAll(async () => {
    server = await startServerProcess(fromSource("serve", "--host", "::", "--port", "0", "--data-dir", tempDir(), "--log-format", "json"), { env: adminEnv });
    const port = new URL(server.url).port;
    v4 = `http://127.0.0.1:${port}`;
    v6 = `http://[::1]:${port}`;
    token = await login(v4);
  });
  afterAll(async () => {
    await server.kill("SIGTERM");
  });

  test("an IPv6 allowlist admits ::1 and refuses 127.0.0.1; an IPv4 one the reverse", async () => {
    const v6Only = await createKey(v4, token, { ip_allowlist: ["::1/128"] });
    expect((await call(`${v6}/api/v1/account`, { token: v6Only })).status).toBe(200);
    const refused = await call(`${v4}/api/v1/account`, { token: v6Only });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe("FORBIDDEN");
    const v4Only = await createKey(v4, token, { ip_allowlist: ["127.0.0.0/8"] });
    expect((await call(`${v4}/api/v1/account`, { token: v4Only })).status).toBe(200);
    expect((await call(`${v6}/api/v1/account`, { token: v4Only })).status).toBe(403);
  });

  test("X-Forwarded-For from an untrusted peer is ignored", async () => {
    const remoteOnly = await createKey(v4, token, { ip_allowlist: ["203.0.113.7/32"] });
    const spoofed = await call(`${v4}/api/v1/account`, { token: remoteOnly, headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(spoofed.status).toBe(403);
  });

  test("no secret reaches the server's output", async () => {
    const key = await createKey(v4, token, {});
    await call(`${v4}/api/v1/account`, { token: key });
    await call(`${v4}/api/v1/account?token=${token}`, { token: `${key.slice(0, -1)}x` });
    await call(`${v4}/api/v1/auth/login`, { method: "POST", json: { email: ADMIN.email, password: "wrong password" } });
    await Bun.sleep(50);
    const output = server.output();
    expect(output).toContain("/api/v1/account"); // the access log did run
    for (const secret of [key, key.slice(3), token, token.slice(4), ADMIN.password, "wrong password"]) {
      expect(output).not.toContain(secret);
    }
  });
});

test("behind a trusted proxy the right-most untrusted X-Forwarded-For address counts", async () => {
  const server = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", tempDir()), {
    env: { ...adminEnv, SWITCHBOARD_TRUST_PROXY: "127.0.0.1" },
  });
  try {
    const token = await login(server.url);
    const key = await createKey(server.url, token, { ip_allowlist: ["203.0.113.7/32"] });
    const viaProxy = await call(`${server.url}/api/v1/account`, { token: key, headers: { "x-forwarded-for": "203.0.113.7" } });
    expect(viaProxy.status).toBe(200);
    const spoofedLeft = await call(`${server.url}/api/v1/account`, { token: key, headers: { "x-forwarded-for": "203.0.113.7, 198.51.100.1" } });
    expect(spoofedLeft.status).toBe(403);
  } finally {
    await server.kill("SIGTERM");
  }
});

test("CLI: admin create, then keys create prints a working secret once", async () => {
  const dataDir = tempDir();
  const noOwner = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", dataDir));
  await noOwner.kill("SIGTERM");
  expect(noOwner.output()).toContain("switchboard admin create --email E --password P");

  const admin = await runCommand(fromSource("admin", "create", "--email", "cli@example.com", "--password", "cli-password", "--data-dir", dataDir));
  expect(admin.code).toBe(0);
  expect(admin.stdout).toContain("created owner cli@example.com");
  expect(admin.stdout).not.toContain("cli-password");
  const again = await runCommand(fromSource("admin", "create", "--email", "cli@example.com", "--password", "cli-password", "--data-dir", dataDir));
  expect(again.code).toBe(1);
  expect(again.stderr).toBe("error: A user with this email already exists\n");

  const keys = await runCommand(fromSource("keys", "create", "--name", "deploy", "--data-dir", dataDir));
  expect(keys.code).toBe(0);
  const secret = keys.stdout.trim();
  expect(secret).toMatch(/^sb_[0-9A-Za-z]{32}$/);
  expect(keys.stderr).toContain("shown only once");

  const server = await startServerProcess(fromSource("serve", "--port", "0", "--data-dir", dataDir));
  try {
    const me = await call(`${server.url}/api/v1/auth/me`, { token: secret });
    expect(me.status).toBe(200);
    expect(me.json.data.principal.email).toBe("cli@example.com");
    expect(me.json.data.user.instance_admin).toBe(true);
  } finally {
    await server.kill("SIGTERM");
  }
  expect(server.output()).not.toContain(secret);
  const missing = await runCommand(fromSource("keys", "create", "--name", "x", "--account", "nope", "--data-dir", dataDir));
  expect(missing.code).toBe(1);
  expect(missing.stderr).toBe('error: no account with slug "nope"\n');
});
