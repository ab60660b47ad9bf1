/**
 * In-process test app: a fresh data dir with a real SQLite file, migrated, and the app driven
 * through `app.handle()` with no socket. Log lines are kept in memory for assertions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app";
import { loadConfig, type Config } from "../../src/config";
import { migrate } from "../../src/db/migrate";
import { DATABASE_FILE, openDatabase } from "../../src/db/open";
import { createMemoryLogger } from "../../src/log";
import { bootstrap } from "../../src/modules/accounts/bootstrap";
import { createServices } from "../../src/services";

/** The bootstrap owner every test app starts with (an instance admin of the `default` account). */
export const ADMIN = { email: "admin@example.com", password: "correct horse battery" };

export function tempDir(prefix = "sb-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestRequest {
  body?: unknown;
  /** Sent as is (for malformed bodies); otherwise `body` is JSON-encoded. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

/** A migrated, bootstrapped app with the ADMIN owner; see `createTestApp` for the in-process helpers. */
export async function createIdentityTestApp(overrides: Partial<Config> = {}) {
  // In-process requests have no client address, so every login shares one throttle bucket.
  const testApp = createTestApp({ loginAttemptsPerMinute: 1000, ...overrides });
  await bootstrap({ ...testApp.services, logger: testApp.logger, adminEmail: ADMIN.email, adminPassword: ADMIN.password });
  return testApp;
}

/** Sends one request to an app in-process (no socket) and reads the answer, JSON when it parses. */
export async function handleJson(
  app: { handle(request: Request): Promise<Response> },
  method: string,
  path: string,
  init: TestRequest & { token?: string } = {},
) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  let body: BodyInit | undefined = init.rawBody;
  if (body === undefined && init.body !== undefined) {
    body = JSON.stringify(init.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export function createTestApp(overrides: Partial<Config> = {}) {
  const dataDir = tempDir();
  // History is written and records are read in the request thread here, so a test app leaves no
  // thread behind; both threads have tests of their own (test/history-thread.test.ts,
  // src/modules/collections/reader-thread.test.ts) and serve every socket test.
  const config: Config = { ...loadConfig({ "data-dir": dataDir }, {}), historyThread: false, readerThread: false, ...overrides };
  const db = openDatabase(join(dataDir, DATABASE_FILE));
  migrate(db.sqlite);
  const logger = createMemoryLogger("json");
  const services = createServices({ config, db, logger });
  const app = createApp({ config, db, logger }, services);

  const request = (method: string, path: string, init: TestRequest & { token?: string } = {}) => handleJson(app, method, path, init);

  /** Signs in and returns the session token (throws when login fails). */
  async function login(email: string, password: string): Promise<string> {
    const res = await request("POST", "/api/v1/auth/login", { body: { email, password } });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
    return res.json.data.token;
  }

  return {
    app,
    db,
    config,
    dataDir,
    services,
    logger,
    logs: logger.lines,
    request,
    login,
    close() {
      services.close();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type TestApp = ReturnType<typeof createTestApp>;
